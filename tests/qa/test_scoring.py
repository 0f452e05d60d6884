"""The QA scorer on hand-written chats, with the shipped model: outcomes, evidence and the arithmetic."""

from __future__ import annotations

import pytest

from app.qa.models import ConversationScore

pytestmark = pytest.mark.shipped_model


def outcome(score: ConversationScore, criterion: str) -> str:
    return next(c.outcome for c in score.criteria if c.id == criterion)


def evidence_text(score: ConversationScore, criterion: str) -> list[str]:
    found = next(c for c in score.criteria if c.id == criterion)
    return [e.span.text for e in found.evidence if e.span is not None]


def expected_score(score: ConversationScore) -> float:
    """The score recomputed from its criteria, by the rubric's stated rules."""
    if any(c.kind == "auto_fail" and c.outcome == "fail" for c in score.criteria):
        return 0.0
    weighted = [c for c in score.criteria if c.kind == "weighted" and c.outcome != "na"]
    base = 100 * sum(c.earned for c in weighted) / sum(c.weight for c in weighted)
    return min(100.0, base + sum(c.earned for c in score.criteria if c.kind == "bonus"))


def test_a_good_chat_outscores_a_poor_one_on_the_same_complaint(qa_scorer, scored_chats) -> None:
    good = qa_scorer.score(scored_chats["good-1"])
    poor = qa_scorer.score(scored_chats["poor-1"])
    assert good.score >= 80 > 40 >= poor.score
    assert outcome(good, "empathy_before_solution") == "pass"
    assert outcome(poor, "empathy_before_solution") == "fail"
    assert outcome(good, "closing_the_loop") == "pass"  # "flagged ... to our billing team", "check in on Friday"


def test_each_failure_carries_the_agents_own_words(qa_scorer, scored_chats) -> None:
    poor = qa_scorer.score(scored_chats["poor-1"])
    assert outcome(poor, "people_over_policy") == "fail"
    assert any("policy" in text for text in evidence_text(poor, "people_over_policy"))
    assert outcome(poor, "no_repeat_ask") == "fail"
    assert any("again" in text for text in evidence_text(poor, "no_repeat_ask"))
    assert outcome(poor, "warm_transfer") == "fail"
    assert evidence_text(poor, "warm_transfer") == ["Transferring you now."]
    assert poor.escalated and "repeat_story" in poor.escalation_signals
    assert len(poor.escalation_signals) == len(set(poor.escalation_signals))
    assert "We apologize for any inconvenience." in poor.robotic_phrases
    assert any("policy" in line for line in poor.policy_lines)


def test_criteria_that_do_not_apply_are_left_out_of_the_score(qa_scorer, scored_chats) -> None:
    calm = qa_scorer.score(scored_chats["calm-1"])
    for criterion in ("empathy_before_solution", "warm_transfer", "left_unresolved"):
        assert outcome(calm, criterion) == "na"
    assert not calm.escalated and not calm.repeat_contact
    assert calm.score == pytest.approx(expected_score(calm), abs=0.01)
    assert calm.score > 60  # a plain question plainly answered is not a poor chat


def test_an_upset_customer_left_with_nothing_fails_and_a_tenant_can_make_it_an_auto_fail(
    qa_engine, qa_scorer, scored_chats
) -> None:
    from app.qa.scoring import QAScorer

    unresolved = qa_scorer.score(scored_chats["unresolved-1"])
    assert outcome(unresolved, "left_unresolved") == "fail"
    assert not unresolved.auto_failed and 0 < unresolved.score < 40
    strict = qa_scorer.rubric.model_copy(
        update={
            "criteria": [
                c.model_copy(update={"kind": "auto_fail"}) if c.id == "left_unresolved" else c
                for c in qa_scorer.rubric.criteria
            ]
        }
    )
    zeroed = QAScorer(qa_engine, strict).score(scored_chats["unresolved-1"])
    assert zeroed.auto_failed and zeroed.score == 0.0
    assert zeroed.score == expected_score(zeroed)


def test_scores_follow_the_stated_arithmetic(qa_scorer, scored_chats) -> None:
    for conversation in scored_chats.values():
        score = qa_scorer.score(conversation)
        assert score.score == pytest.approx(expected_score(score), abs=0.01), score.conversation_id
        assert score.turns == len(conversation.turns)


def test_a_score_depends_on_its_conversation_alone(qa_scorer, scored_chats) -> None:
    conversations = list(scored_chats.values())
    together = qa_scorer.score_many(conversations)
    alone = [qa_scorer.score_many([c])[0] for c in reversed(conversations)][::-1]
    assert [s.model_dump() for s in together] == [s.model_dump() for s in alone]
