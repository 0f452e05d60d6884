"""Helpers for the coaching tests; the `engine` fixture (shipped model + MiniLM encoder) is
in tests/conftest.py."""

from __future__ import annotations

from app.coaching.conversation import Conversation, Turn
from app.coaching.engine import CoachingEngine


def conversation(*turns: tuple[str, str], conversation_id: str = "t-1") -> Conversation:
    return Conversation(conversation_id=conversation_id, turns=[Turn(role=r, text=t) for r, t in turns])  # type: ignore[arg-type]


def run(engine: CoachingEngine, *turns: tuple[str, str], conversation_id: str = "t-1"):
    """Analyses of every turn, in a fresh conversation state."""
    return engine.analyze(conversation(*turns, conversation_id=conversation_id))


def cue_kinds(analysis) -> set[str]:
    return {c.kind for c in analysis.customer.cues}


def flag_kinds(analysis) -> set[str]:
    return {f.kind for f in analysis.agent.flags}
