"""The shipped coach, built once for the QA tests (one text per forward pass, as `coach score` runs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.coaching.conversation import Conversation

QA_FIXTURES = Path(__file__).parents[1] / "fixtures" / "qa"


@pytest.fixture(scope="session")
def qa_engine():
    from app.coaching.wiring import build_coach

    return build_coach(batch_size=1)


@pytest.fixture(scope="session")
def qa_scorer(qa_engine):
    from app.qa.scoring import QAScorer

    return QAScorer(qa_engine)


@pytest.fixture(scope="session")
def scored_chats() -> dict[str, Conversation]:
    lines = (QA_FIXTURES / "scored_chats.jsonl").read_text(encoding="utf-8").splitlines()
    conversations = [Conversation.model_validate_json(line) for line in lines]
    return {c.conversation_id: c for c in conversations}
