import io
import json
import subprocess
import sys
from pathlib import Path

from app.classify import classify_stream, parse_lines


def test_parse_plain_lines():
    items = list(parse_lines(["hello\n", "{not json but plain text}\n"]))
    assert [(i.line_no, i.text, i.error) for i in items] == [(1, "hello", None), (2, "{not json but plain text}", None)]


def test_parse_jsonl_reports_bad_lines_by_number():
    lines = ['{"text": "fine"}\n', "not json\n", '{"txt": "x"}\n', "\n", '{"text": ""}\n', '["text"]\n']
    items = list(parse_lines(lines))
    assert items[0].text == "fine"
    assert [i.line_no for i in items if i.error] == [2, 3, 4, 5, 6]
    assert "invalid JSON" in items[1].error
    assert '"text"' in items[2].error


def test_classify_stream_keeps_order_and_marks_errors_in_place(tiny_classifier):
    source = io.StringIO('{"text": "first"}\n{"oops": 1}\n{"text": "third", "id": 7}\n')
    sink, err = io.StringIO(), io.StringIO()
    bad = classify_stream(tiny_classifier, source, sink, name="in.jsonl", err=err)
    records = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert bad == 1
    assert [r.get("text") for r in records] == ["first", None, "third"]
    assert records[1] == {"line": 2, "error": 'expected an object with a non-empty string "text" field'}
    assert "in.jsonl:2:" in err.getvalue()
    assert set(records[0]) == {"text", "emotions", "labels", "sentiment", "customer_state", "upset"}
    assert set(records[0]["upset"]) == {"probability", "upset", "threshold"}
    assert len(records[0]["emotions"]) == 28


def _coach(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True, text=True, timeout=300
    )


def test_cli_classify_file_and_stdin(tiny_artifact: Path, tmp_path: Path):
    source = tmp_path / "turns.txt"
    source.write_text("Where is my order?\nThank you!\n", encoding="utf-8")
    from_file = _coach("classify", str(source), "--model", str(tiny_artifact))
    assert from_file.returncode == 0, from_file.stderr
    assert [json.loads(x)["text"] for x in from_file.stdout.splitlines()] == ["Where is my order?", "Thank you!"]
    from_stdin = _coach("classify", "-", "--model", str(tiny_artifact), stdin="bad line follows\n\n")
    assert from_stdin.returncode == 1
    assert "<stdin>:2: empty line" in from_stdin.stderr


def test_cli_classify_missing_file_is_a_clear_error(tiny_artifact: Path, tmp_path: Path):
    result = _coach("classify", str(tmp_path / "nope.txt"), "--model", str(tiny_artifact))
    assert result.returncode == 2
    assert "no such file" in result.stderr
