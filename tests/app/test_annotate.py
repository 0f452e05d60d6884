import io
import json
import subprocess
import sys
from pathlib import Path

from app.annotate import parse_transcripts

TRANSCRIPT = [
    {
        "conversation_id": "a1",
        "channel": "chat",
        "turns": [
            {"role": "customer", "text": "My order 5521 arrived broken.", "ts": "2026-01-02T10:00:00Z"},
            {"role": "agent", "text": "I'm sorry that order 5521 arrived broken. I'll send a replacement today."},
            {"role": "system", "text": "Agent closed the chat."},
        ],
    },
    {"conversation_id": "a2", "turns": [{"role": "agent", "text": "Hello!"}]},
]


def test_parse_transcripts_reports_line_numbers():
    lines = [
        json.dumps(TRANSCRIPT[0]),
        "{bad",
        json.dumps({"conversation_id": "x", "turns": [{"role": "bot", "text": "hi"}]}),
        "",
    ]
    parsed = list(parse_transcripts(lines))
    assert parsed[0].conversation is not None and parsed[0].error is None
    assert "invalid JSON" in parsed[1].error and parsed[1].line_no == 2
    assert "turns.0.role" in parsed[2].error
    assert "empty line" in parsed[3].error


def test_annotate_cli_adds_analysis_to_every_turn_in_order(tmp_path: Path):
    source = tmp_path / "transcripts.jsonl"
    source.write_text("\n".join(json.dumps(c) for c in TRANSCRIPT) + "\n{not json\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "annotate", str(source)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1 and f"{source}:3:" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("conversation_id") for r in records] == ["a1", "a2", None]
    assert records[2]["line"] == 3
    first = records[0]
    assert first["channel"] == "chat" and first["turns"][0]["ts"] == "2026-01-02T10:00:00Z"
    assert all("analysis" in turn for turn in first["turns"])
    customer, agent = first["turns"][0]["analysis"], first["turns"][1]["analysis"]
    assert customer["customer"]["state"]["label"] and "cues" in customer["customer"]
    assert len(agent["agent"]["sentences"]) == 2 and "templated" in agent["agent"]["sentences"][0]
    assert agent["learn_coverage"]["apologize"] and agent["learn_coverage"]["resolve"]
    lone = records[1]["turns"][0]["analysis"]["agent"]["sentences"]
    assert len(lone) == 1 and {"score", "flag"} <= set(lone[0]["templated"])


def test_annotate_stream_in_process(engine):
    from app.annotate import annotate_stream

    sink, err = io.StringIO(), io.StringIO()
    bad = annotate_stream(engine, io.StringIO(json.dumps(TRANSCRIPT[0]) + "\n"), sink, err=err)
    assert bad == 0 and json.loads(sink.getvalue())["turns"][1]["analysis"]["agent"]["learn_steps"]
