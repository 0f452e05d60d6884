"""`coach score`'s runner: streaming into the ledger, resuming after a crash without scoring anything
twice or losing anything, bad records logged, and the per-agent table."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from app.coaching.conversation import Conversation
from app.qa.models import ConversationScore, CriterionResult
from app.qa.runner import CHUNK, LEDGER, VCONS, resume_ledger, run_scoring


def transcripts(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            agent = f"agent-{n % 3}"
            turns = [
                {"role": "customer", "text": f"My order {n} has not arrived yet."},
                {"role": "agent", "text": f"Let me look into order {n} for you.", "agent_id": agent},
            ]
            out.write(json.dumps({"conversation_id": f"c-{n:04d}", "turns": turns}) + "\n")
        out.write('{"conversation_id": "broken", "turns": [{"role": "narrator", "text": "x"}]}\n')
        out.write("not json at all\n")
    return path


class CountingEngine:
    """Scores by a rule anyone can recompute (no model), counts what it scored, and can crash."""

    def __init__(self, crash_after: int | None = None) -> None:
        self.scored: list[str] = []
        self.crash_after = crash_after

    def scores(self, conversations: Iterable[Conversation]) -> Iterator[ConversationScore]:
        for conversation in conversations:
            if self.crash_after is not None and len(self.scored) == self.crash_after:
                raise KeyboardInterrupt("the process dies here")
            self.scored.append(conversation.conversation_id)
            number = int(conversation.conversation_id.split("-")[1])
            passed = number % 2 == 0
            criterion = CriterionResult(
                id="empathy",
                name="Empathy",
                kind="weighted",
                outcome="pass" if passed else "fail",
                weight=10,
                earned=10 if passed else 0,
                reason="rule",
            )
            agents = sorted({t.agent_id for t in conversation.turns if t.agent_id})
            yield ConversationScore(
                conversation_id=conversation.conversation_id,
                agent_ids=agents,
                score=100.0 if passed else 0.0,
                criteria=[criterion],
                turns=len(conversation.turns),
            )


def ledger_ids(out: Path) -> list[str]:
    return [json.loads(line)["conversation_id"] for line in (out / LEDGER).read_text().splitlines()]


def test_a_run_scores_everything_once_and_logs_bad_records(tmp_path: Path) -> None:
    source = transcripts(tmp_path / "in.jsonl", 10)
    engine = CountingEngine()
    summary = run_scoring(engine, [source], tmp_path / "out", progress=False)
    assert summary.scored == 10 and summary.errors == 2
    assert ledger_ids(tmp_path / "out") == [f"c-{n:04d}" for n in range(10)]
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert [e["at"] for e in errors] == ["line 11", "line 12"]
    assert "role" in errors[0]["error"]
    vcons = [json.loads(line) for line in (tmp_path / "out" / VCONS).read_text().splitlines()]
    assert [v["coachline_conversation_id"] for v in vcons] == ledger_ids(tmp_path / "out")
    assert all(v["analysis"][-1]["vendor"] == "coachline" for v in vcons)


def test_a_crashed_run_resumes_without_scoring_twice_or_losing_any(tmp_path: Path) -> None:
    count = 3 * CHUNK + 5
    source = transcripts(tmp_path / "in.jsonl", count)
    out = tmp_path / "out"
    first = CountingEngine(crash_after=2 * CHUNK + 7)  # dies mid-chunk: that chunk was never written
    with pytest.raises(KeyboardInterrupt):
        run_scoring(first, [source], out, progress=False)
    assert ledger_ids(out) == [f"c-{n:04d}" for n in range(2 * CHUNK)]
    with (out / LEDGER).open("a") as ledger:
        ledger.write('{"conversation_id": "c-99')  # and a torn line, as a kill mid-write leaves
    second = CountingEngine()
    summary = run_scoring(second, [source], out, progress=False)
    assert second.scored == [f"c-{n:04d}" for n in range(2 * CHUNK, count)]
    assert summary.skipped == 2 * CHUNK
    assert ledger_ids(out) == [f"c-{n:04d}" for n in range(count)]
    vcon_ids = [json.loads(line)["coachline_conversation_id"] for line in (out / VCONS).read_text().splitlines()]
    assert vcon_ids == ledger_ids(out)
    third = CountingEngine()
    run_scoring(third, [source], out, progress=False)
    assert third.scored == []  # finished: a rerun scores nothing


def test_the_per_agent_table(tmp_path: Path) -> None:
    source = transcripts(tmp_path / "in.jsonl", 9)
    run_scoring(CountingEngine(), [source], tmp_path / "out", progress=False)
    with (tmp_path / "out" / "agents.csv").open() as table:
        rows = {row["agent_id"]: row for row in csv.DictReader(table)}
    # agent-0 had c-0000, c-0003, c-0006: even numbers 0 and 6 pass.
    assert rows["agent-0"]["conversations"] == "3"
    assert float(rows["agent-0"]["mean_score"]) == pytest.approx(200 / 3, abs=0.01)
    assert float(rows["agent-0"]["pass_rate:empathy"]) == pytest.approx(2 / 3, abs=0.001)


def test_a_repeated_conversation_id_is_a_bad_record_not_a_second_score(tmp_path: Path) -> None:
    source = transcripts(tmp_path / "in.jsonl", 3)
    with source.open("a") as more:
        more.write(json.dumps({"conversation_id": "c-0001", "turns": [{"role": "customer", "text": "again"}]}) + "\n")
    engine = CountingEngine()
    summary = run_scoring(engine, [source], tmp_path / "out", progress=False)
    assert engine.scored == ["c-0000", "c-0001", "c-0002"]
    assert summary.errors == 3
    assert "repeats" in (tmp_path / "out" / "errors.jsonl").read_text()


def test_resume_ledger_cuts_only_a_torn_tail(tmp_path: Path) -> None:
    ledger = tmp_path / LEDGER
    ledger.write_text('{"conversation_id": "a"}\n{"conversation_id": "b"}\n{"conversat')
    assert resume_ledger(ledger) == {"a", "b"}
    assert ledger.read_text() == '{"conversation_id": "a"}\n{"conversation_id": "b"}\n'
