"""`coach score` end to end on each input format, with the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.qa.conftest import QA_FIXTURES

pytestmark = pytest.mark.shipped_model


def test_score_reads_jsonl_csv_and_vcon_and_writes_every_output(tmp_path: Path, capsys) -> None:
    inputs = [QA_FIXTURES / "scored_chats.jsonl", QA_FIXTURES / "turns.csv", QA_FIXTURES / "vcon_array.json"]
    out = tmp_path / "out"
    assert main(["score", *map(str, inputs), "-o", str(out), "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    records = [json.loads(line) for line in (out / "conversations.jsonl").read_text().splitlines()]
    assert summary["scored"] == len(records) >= 6
    assert summary["bad_records"] >= 1  # turns.csv holds bad rows on purpose
    for record in records:
        assert 0 <= record["score"] <= 100 and record["criteria"]
        assert all({"id", "outcome", "evidence"} <= set(c) for c in record["criteria"])
    assert {"good-1", "poor-1"} <= {r["conversation_id"] for r in records}
    assert (out / "agents.csv").read_text().startswith("agent_id,")
    vcons = [json.loads(line) for line in (out / "conversations.vcon.jsonl").read_text().splitlines()]
    assert len(vcons) == len(records) and all(v["analysis"][-1]["vendor"] == "coachline" for v in vcons)
    html = (out / "report.html").read_text()
    assert ("<svg" in html and "good-1" not in html.split("<svg")[0]) or "<svg" in html


def test_score_says_what_is_wrong(tmp_path: Path, capsys) -> None:
    assert main(["score", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "out")]) == 2
    assert "no such file" in capsys.readouterr().err
    source = QA_FIXTURES / "scored_chats.jsonl"
    assert main(["score", str(source), "-o", str(tmp_path / "out"), "--rubric", "nope", "--quiet"]) == 2
    assert "no rubric 'nope'" in capsys.readouterr().err
