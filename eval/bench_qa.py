"""`coach bench qa`: QA scoring throughput, in process and on Ray Data, on this machine.

The conversations are the team's own support chats (models/support_chats, CC0), two of one domain
back to back as one conversation (about 21 turns: the issue's "about 20"), every one distinct, so no
model cache serves one conversation from another's turns. A transcript JSONL can be given instead.
The in-process figure is the scorer alone, after the coach is built; the Ray figure is the whole
run (a local instance, `workers` actors each building its coach), and its steady rate after the
first result.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from statistics import mean

from app.coaching.conversation import Conversation, Turn
from models.artifact import DEFAULT_ARTIFACT
from models.support_data import SUPPORT_CHATS, read_chat_file


def support_conversations(directory: Path = SUPPORT_CHATS) -> list[Conversation]:
    """Pairs of chats of one domain, back to back, as conversations of about 20 turns."""
    out: list[Conversation] = []
    for path in sorted(directory.glob("*.yaml")):
        chats = read_chat_file(path).chats
        for first, second in zip(chats[::2], chats[1::2], strict=False):
            turns: list[Turn] = []
            for chat in (first, second):
                for exchange in chat.turns:
                    if exchange.agent:
                        turns.append(Turn(role="agent", text=exchange.agent, agent_id=f"{path.stem}-agent"))
                    turns.append(Turn(role="customer", text=exchange.customer))
            out.append(Conversation(conversation_id=f"{first.id}+{second.id}", turns=turns))
    return out


def read_jsonl(path: Path) -> list[Conversation]:
    return [Conversation.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def run_qa_benchmark(
    transcripts: Path | None = None, *, engines: tuple[str, ...] = ("local", "ray"), workers: int = 2
) -> dict:
    from app.coaching.wiring import build_coach
    from app.qa.runner import InProcessEngine
    from app.qa.scoring import QAScorer

    conversations = read_jsonl(transcripts) if transcripts else support_conversations()
    turns = [len(c.turns) for c in conversations]
    figures: dict = {
        "how": "coach bench qa: every conversation scored once with the default rubric (one text per forward "
        "pass, as coach score runs); conversations are two of our support chats of one domain back to back "
        "(models/support_chats, all distinct) unless --transcripts is given",
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "conversations": len(conversations),
        "mean_turns": round(mean(turns), 1) if turns else 0,
    }
    if "local" in engines:
        started = time.perf_counter()
        engine = build_coach(batch_size=1)
        built = time.perf_counter() - started
        scorer = InProcessEngine(QAScorer(engine))
        started = time.perf_counter()
        scored = sum(1 for _ in scorer.scores(conversations))
        seconds = time.perf_counter() - started
        figures["in_process"] = {
            "backend": engine.classifier.backend,
            "coach_build_s": round(built, 2),
            "seconds": round(seconds, 2),
            "conversations_per_minute": round(scored / seconds * 60, 1),
            "turns_per_second": round(sum(turns) / seconds, 1),
        }
    if "ray" in engines:
        try:
            from app.qa.ray_engine import CoachSpec, RayEngine
        except ImportError:  # pragma: no cover - ray is an optional extra
            figures["ray"] = {"skipped": "ray is not installed (pip install 'coachline[ray]')"}
            return figures
        ray_engine = RayEngine(CoachSpec(DEFAULT_ARTIFACT), workers=workers)
        started = time.perf_counter()
        first: float | None = None
        scored = 0
        try:
            for _ in ray_engine.scores(conversations):
                scored += 1
                if first is None:
                    first = time.perf_counter()
        finally:
            ray_engine.shutdown()
        seconds = time.perf_counter() - started
        steady = time.perf_counter() - (first or started)
        figures["ray"] = {
            "workers": workers,
            "seconds_with_startup": round(seconds, 2),
            "first_result_s": round((first or started) - started, 2),
            "conversations_per_minute": round(scored / seconds * 60, 1),
            "steady_conversations_per_minute": round((scored - 1) / steady * 60, 1) if steady > 0 else None,
        }
    return figures
