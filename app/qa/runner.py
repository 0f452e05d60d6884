"""`coach score`: stream transcripts through the QA scorer into an output folder, resumably.

OUT/conversations.jsonl is the run's ledger: one line per scored conversation, appended and fsynced
a chunk at a time. A run that starts over an existing folder first cuts a torn last line, then skips
every conversation already there, so after a crash nothing is scored twice and nothing is lost.
OUT/conversations.vcon.jsonl (the vCons with the analysis attached) is written before the ledger in
each chunk and rebuilt from the ledger on resume. Bad input records go to OUT/errors.jsonl. When the
stream is done: OUT/agents.csv and OUT/report.html are written from the ledger.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from tqdm import tqdm

from app.coaching.conversation import Conversation
from app.qa.formats import AgentTable, detect_format, read_conversations, vcon_with_analysis
from app.qa.models import ConversationScore

CHUNK = 32  # conversations per bulk model call and per fsync of the ledger
LEDGER = "conversations.jsonl"
VCONS = "conversations.vcon.jsonl"
ERRORS = "errors.jsonl"


class ScoringEngine(Protocol):
    """Scores conversations in order: in process (`QAScorer`) or on Ray (`app.qa.ray_engine`)."""

    def scores(self, conversations: Iterable[Conversation]) -> Iterator[ConversationScore]: ...


@dataclass
class Work:
    """One input conversation to score, with the record it came from (a vCon keeps its own)."""

    conversation: Conversation
    source: dict[str, Any] | None = None


@dataclass
class RunSummary:
    scored: int = 0
    skipped: int = 0  # already in the ledger (a resumed run)
    errors: int = 0
    stopped: bool = False  # asked to stop before the end (a later run resumes)
    outputs: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "scored": self.scored,
            "already_scored": self.skipped,
            "bad_records": self.errors,
            "outputs": self.outputs,
        }


def resume_ledger(path: Path) -> set[str]:
    """The conversation ids a previous run finished; a torn last line (a crash mid-write) is cut off."""
    if not path.exists():
        return set()
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as ledger:
            ledger.truncate(end)
    done: set[str] = set()
    for line in data[:end].splitlines():
        if line.strip():
            done.add(json.loads(line)["conversation_id"])
    return done


def _rebuild_vcons(path: Path, done: set[str]) -> None:
    """Keep one vCon per conversation in the ledger (a crash may leave some ahead of it or torn)."""
    if not path.exists():
        return
    kept: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the torn tail of a crash
        conversation_id = record.get("coachline_conversation_id")
        if conversation_id in done:
            kept.setdefault(conversation_id, line)
    path.write_text("".join(line + "\n" for line in kept.values()), encoding="utf-8")


def _append(handle: IO[str], lines: Sequence[str]) -> None:
    handle.write("".join(lines))
    handle.flush()
    os.fsync(handle.fileno())


def read_work(paths: Sequence[Path], fmt: str | None, errors: Callable[[dict], None]) -> Iterator[Work]:
    """Every conversation of every input, in order; bad records go to `errors`; a conversation id
    seen twice is a bad record (its score would be ambiguous, and the ledger resumes by id)."""
    seen: set[str] = set()
    for path in paths:
        is_vcon = (fmt or detect_format(path)) == "vcon"
        for result in read_conversations(path, fmt):
            if result.conversation is None:
                errors({"file": str(path), "at": result.where, "error": result.error})
                continue
            conversation_id = result.conversation.conversation_id
            if conversation_id in seen:
                errors({"file": str(path), "at": result.where, "error": f"conversation_id {conversation_id!r} repeats"})
                continue
            seen.add(conversation_id)
            yield Work(result.conversation, result.raw if is_vcon else None)


def count_conversations(paths: Sequence[Path], fmt: str | None) -> int:
    """A first, cheap pass for the progress bar's total (reading is nothing beside scoring)."""
    return sum(1 for path in paths for result in read_conversations(path, fmt) if result.conversation is not None)


def run_scoring(
    engine: ScoringEngine,
    paths: Sequence[Path],
    out: Path,
    *,
    fmt: str | None = None,
    report: Callable[[Path, list[ConversationScore]], None] | None = None,
    progress: bool = True,
    stream: IO[str] = sys.stderr,
    on_chunk: Callable[[int, int | None], None] | None = None,
    stop: threading.Event | None = None,
) -> RunSummary:
    """Score every conversation in `paths` not already in `out`'s ledger, then write the tables.

    `on_chunk(done, total)` is called after each chunk is committed; once `stop` is set the run
    returns after the current chunk (`summary.stopped`), and a later run resumes where it stopped."""
    out.mkdir(parents=True, exist_ok=True)
    ledger_path, vcon_path, errors_path = out / LEDGER, out / VCONS, out / ERRORS
    done = resume_ledger(ledger_path)
    _rebuild_vcons(vcon_path, done)
    summary = RunSummary()
    errors_path.unlink(missing_ok=True)  # bad records are found again by this pass
    with errors_path.open("a", encoding="utf-8") as error_log:

        def log_error(record: dict) -> None:
            summary.errors += 1
            error_log.write(json.dumps(record) + "\n")

        total = count_conversations(paths, fmt) if progress or on_chunk is not None else None
        sources: dict[str, Work] = {}

        def pending() -> Iterator[Conversation]:
            for work in read_work(paths, fmt, log_error):
                if work.conversation.conversation_id in done:
                    summary.skipped += 1
                    continue
                sources[work.conversation.conversation_id] = work
                yield work.conversation

        bar = tqdm(total=total, initial=len(done), unit="conv", desc="scoring", file=stream, disable=not progress)

        def commit(lines: list[str], vcon_lines: list[str]) -> None:
            _append(vcons, vcon_lines)  # before the ledger: the ledger line is the commit
            _append(ledger, lines)
            summary.scored += len(lines)
            bar.update(len(lines))
            if on_chunk is not None:
                on_chunk(len(done) + summary.scored, total)

        with ledger_path.open("a", encoding="utf-8") as ledger, vcon_path.open("a", encoding="utf-8") as vcons:
            lines: list[str] = []
            vcon_lines: list[str] = []
            for score in engine.scores(pending()):
                work = sources.pop(score.conversation_id)
                vcon = vcon_with_analysis(work.conversation, score, work.source)
                vcon["coachline_conversation_id"] = score.conversation_id
                vcon_lines.append(json.dumps(vcon, default=str) + "\n")
                lines.append(score.model_dump_json() + "\n")
                if len(lines) >= CHUNK:
                    commit(lines, vcon_lines)
                    lines, vcon_lines = [], []
                    if stop is not None and stop.is_set():
                        summary.stopped = True
                        break
            if lines:
                commit(lines, vcon_lines)
        bar.close()
    if summary.stopped:
        return summary
    scores = list(read_ledger(ledger_path))
    agents = AgentTable()
    for score in scores:
        agents.add(score)
    agents.write(out / "agents.csv")
    summary.outputs = {
        "conversations": str(ledger_path),
        "agents": str(out / "agents.csv"),
        "vcon": str(vcon_path),
        "errors": str(errors_path),
    }
    if report is not None:
        report(out / "report.html", scores)
        summary.outputs["report"] = str(out / "report.html")
    return summary


def read_ledger(path: Path) -> Iterator[ConversationScore]:
    with path.open(encoding="utf-8") as ledger:
        for line in ledger:
            if line.strip():
                yield ConversationScore.model_validate_json(line)


class InProcessEngine:
    """The scorer in this process, a chunk of conversations per bulk model call."""

    def __init__(self, scorer: Any, chunk: int = CHUNK) -> None:
        self.scorer = scorer
        self.chunk = chunk

    def scores(self, conversations: Iterable[Conversation]) -> Iterator[ConversationScore]:
        batch: list[Conversation] = []
        for conversation in conversations:
            batch.append(conversation)
            if len(batch) >= self.chunk:
                yield from self.scorer.score_many(batch)
                batch = []
        if batch:
            yield from self.scorer.score_many(batch)


def now_label() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def write_report(
    path: Path,
    scores: list[ConversationScore],
    encode: Callable[[Sequence[str]], Any],
    *,
    source: str,
    title: str = "Coachline QA report",
) -> None:
    """The self-contained HTML report, with the recurring themes of the customers' problem statements."""
    from app.qa.report import render_report
    from app.qa.themes import find_themes

    statements = [s.problem_statement for s in scores if s.problem_statement]
    themes = find_themes(statements, encode)
    html = render_report(scores, themes, title=title, generated=now_label(), source=source)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)  # a reader never sees half a report
