"""`coach eval qa`: against MAIA-DQE's human ratings (a two-dialogue fixture) and against gold chats of
our own (a three-chat fixture), with the shipped model."""

from __future__ import annotations

import pytest

from eval.common import DatasetMissing
from eval.qa import evaluate_qa, evaluate_qa_gold, read_rated_dialogues
from tests.conftest import FIXTURES

pytestmark = pytest.mark.shipped_model


@pytest.fixture(scope="module")
def qa_engine():
    from app.coaching.wiring import build_coach

    return build_coach(batch_size=1)


def test_rated_dialogues_keep_the_human_labels() -> None:
    dialogues = read_rated_dialogues(FIXTURES / "maia_sample.json")
    assert len(dialogues) == 2
    first = dialogues[0]
    assert [t.role for t in first.conversation.turns][:2] == ["customer", "agent"]
    assert first.ratings and all(1 <= v <= 5 for values in first.ratings.values() for v in values)


def test_maia_figures_say_how_they_were_obtained(qa_engine) -> None:
    figures = evaluate_qa(qa_engine, FIXTURES / "maia_sample.json")
    assert figures["conversations"] == 2 and "Spearman" in figures["how"]
    assert all(set(v) == {"n"} and v["n"] < 3 for v in figures["spearman"].values())  # too few to rank: no figure
    assert set(figures["criterion_agreement"]) == {"not_robotic", "empathy_before_solution", "sentiment_trajectory"}


def test_gold_figures_rank_the_good_chat_above_the_poor_one(qa_engine) -> None:
    figures = evaluate_qa_gold(qa_engine, FIXTURES / "qa" / "gold")
    assert figures["conversations"] == 3
    assert figures["spearman_rating"]["rho"] > 0.4
    assert figures["criteria"]["people_over_policy"]["fail_precision"] == 1.0
    assert figures["escalated_agreement"] == 1.0


def test_a_missing_folder_is_a_clear_skip(qa_engine, tmp_path) -> None:
    with pytest.raises(DatasetMissing, match="pass its path"):
        evaluate_qa_gold(qa_engine, tmp_path / "nope")
