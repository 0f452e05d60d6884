"""Score finished conversations against a rubric: the coaching engine reads each one turn by turn,
then the rubric's checks turn what it found into a 0-100 score with evidence.

A conversation's score depends on that conversation alone: nothing is learned from one conversation
for the next (the engine's cross-conversation macro memory is left out), so a resumed run, a shard
or a Ray worker gives exactly the score an uninterrupted in-process run gives. Stock lines repeated
across a batch are counted where it is sound to: in the report, over the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.coaching.conversation import Conversation
from app.coaching.engine import CoachingEngine
from app.coaching.frameworks import CoachingLibrary
from app.coaching.upset import UPSET_STATES
from app.qa.checks import CHECKS, ESCALATION_CUES, Scored
from app.qa.models import ConversationScore, CriterionResult, Sentiment
from app.qa.rubric import Rubric

DEFAULT_RUBRIC = "default_qa"
SCORING_NAMESPACE = "\x00qa"  # a macro-memory tenant nothing is ever learned under (see the module doc)
STATEMENT_MIN_WORDS = 4  # a customer turn this long can state their problem ("hi" and "ok" can't)
NOT_DISTRESS = frozenset({"question", "settled"})


def rubric_of(library: CoachingLibrary, rubric_id: str = DEFAULT_RUBRIC) -> Rubric:
    try:
        return library.rubric(rubric_id)
    except KeyError:
        raise LookupError(f"no rubric {rubric_id!r}; have {sorted(library.rubrics)}") from None


class QAScorer:
    """The engine and one rubric, built once; `score_many` makes one bulk model call per batch."""

    def __init__(self, engine: CoachingEngine, rubric: Rubric | None = None) -> None:
        self.engine = engine
        self.rubric = rubric or rubric_of(engine.library)

    def score(self, conversation: Conversation) -> ConversationScore:
        state = self.engine.new_state(conversation.conversation_id, SCORING_NAMESPACE)
        analyses = [self.engine.add_turn(state, turn, learn_macros=False) for turn in conversation.turns]
        return self.judge(Scored(conversation, analyses, state))

    def score_many(self, conversations: Sequence[Conversation]) -> list[ConversationScore]:
        self.engine.warm(conversations)
        return [self.score(c) for c in conversations]

    def judge(self, scored: Scored) -> ConversationScore:
        results: list[CriterionResult] = []
        for criterion in self.rubric.criteria:
            finding = CHECKS[criterion.check](scored, criterion.params)
            if criterion.kind == "weighted":
                earned = criterion.weight * finding.share if finding.outcome != "na" else 0.0
            elif criterion.kind == "bonus":
                earned = criterion.weight if finding.outcome == "pass" else 0.0
            else:
                earned = 0.0
            results.append(
                CriterionResult(
                    id=criterion.id,
                    name=criterion.name,
                    kind=criterion.kind,
                    outcome=finding.outcome,
                    weight=criterion.weight,
                    earned=round(earned, 4),
                    reason=finding.reason,
                    evidence=finding.evidence,
                )
            )
        return self._record(scored, results)

    def _record(self, scored: Scored, results: list[CriterionResult]) -> ConversationScore:
        conversation = scored.conversation
        weighted = [r for r in results if r.kind == "weighted" and r.outcome != "na"]
        possible = sum(r.weight for r in weighted)
        base = 100.0 * sum(r.earned for r in weighted) / possible if possible else 100.0
        bonus = sum(r.earned for r in results if r.kind == "bonus")
        auto_failed = any(r.kind == "auto_fail" and r.outcome == "fail" for r in results)
        score = 0.0 if auto_failed else min(100.0, base + bonus)
        points = scored.state.sentiment_points
        trend = scored.analyses[-1].trajectory.trend if scored.analyses else "unknown"
        escalation_at = scored.escalation_turn()
        signals: list[str] = []
        if escalation_at is not None:
            for analysis in scored.analyses[: escalation_at + 1]:
                if analysis.customer:
                    # What showed distress: warning cues and upset states, not a question or thanks.
                    kinds = [
                        c.kind
                        for c in analysis.customer.cues
                        if c.kind not in ESCALATION_CUES | NOT_DISTRESS and c.severity != "info"
                    ]
                    if analysis.customer.upset and analysis.customer.state.label in UPSET_STATES:
                        kinds.append(analysis.customer.state.label)
                    for kind in kinds:
                        if kind not in signals:
                            signals.append(kind)
        agents: list[str] = []
        for turn in conversation.turns:
            if turn.role == "agent" and turn.agent_id and turn.agent_id not in agents:
                agents.append(turn.agent_id)
        return ConversationScore(
            conversation_id=conversation.conversation_id,
            tenant=conversation.tenant,
            agent_ids=agents,
            score=round(score, 2),
            auto_failed=auto_failed,
            criteria=results,
            turns=len(conversation.turns),
            sentiment=Sentiment(
                start=points[0] if points else None,
                end=points[-1] if points else None,
                trend=trend if len(points) >= 2 else "unknown",
                points=points,
            ),
            escalated=escalation_at is not None,
            escalation_signals=signals,
            repeat_contact=bool(scored.repeat_contact()),
            problem_statement=_problem_statement(conversation),
            robotic_phrases=[s.span.text for _, s, _ in scored.robotic_sentences()],  # as the criterion counts them
            policy_lines=[f.span.text for _, f in scored.flags({"policy_over_people"})],
        )


def _problem_statement(conversation: Conversation) -> str | None:
    """The customer's first turn long enough to state a problem (the themes cluster these)."""
    customer = [t.text.strip() for t in conversation.turns if t.role == "customer"]
    return next(
        (text for text in customer if len(text.split()) >= STATEMENT_MIN_WORDS), customer[0] if customer else None
    )
