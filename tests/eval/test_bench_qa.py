"""`coach bench qa`: its conversations and the figures it prints (in process only here; the Ray engine
has its own test in tests/qa/test_ray.py)."""

from __future__ import annotations

import pytest

from eval.bench_qa import run_qa_benchmark, support_conversations
from tests.qa.conftest import QA_FIXTURES


def test_bench_conversations_are_about_twenty_turns_and_distinct() -> None:
    conversations = support_conversations()
    turns = [len(c.turns) for c in conversations]
    assert len(conversations) > 200 and 17 <= sum(turns) / len(turns) <= 23
    assert len({c.conversation_id for c in conversations}) == len(conversations)
    texts = [t.text for c in conversations for t in c.turns if t.role == "customer"]
    assert len(set(texts)) > 0.95 * len(texts)  # no cache serves one conversation from another's turns


@pytest.mark.shipped_model
def test_bench_prints_a_rate_with_how_it_was_obtained() -> None:
    figures = run_qa_benchmark(QA_FIXTURES / "scored_chats.jsonl", engines=("local",))
    assert figures["conversations"] == 4 and "coach bench qa" in figures["how"]
    assert figures["in_process"]["conversations_per_minute"] > 0 and "ray" not in figures
