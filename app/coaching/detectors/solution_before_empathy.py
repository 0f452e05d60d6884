"""Solution before empathy: troubleshooting steps to an upset customer who has not been
acknowledged yet (neither in an earlier turn nor in this one)."""

from __future__ import annotations

from app.coaching.analysis import AgentFlag
from app.coaching.context import TurnContext
from app.coaching.learn import FEELING
from app.coaching.sincerity import sincere_acknowledgement
from app.coaching.state import ConversationState
from app.coaching.text import instructs


class SolutionBeforeEmpathyDetector:
    name = "solution_before_empathy"
    role = "agent"
    needs = frozenset({"moves"})

    @staticmethod
    def _acknowledged(context: TurnContext, state: ConversationState) -> bool:
        """A sincere acknowledgement or apology in this turn, not itself a robotic stock line ("We're
        sorry to hear your box wasn't up to scratch" from a macro settles nothing)."""
        robotic = {f.span.start for f in context.flags if f.kind == "robotic"}
        return any(
            span.start not in robotic and sincere_acknowledgement(context, state, i)
            for i, span in enumerate(context.sentences)
        )

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        if not state.upset or not state.ledger.owes("empathy") or self._acknowledged(context, state):
            return []
        for span in context.sentences:
            if instructs(span.text):
                feeling = FEELING.get(state.last_customer.state.label, "upset") if state.last_customer else "upset"
                return [
                    AgentFlag(
                        kind="solution_before_empathy",
                        span=span,
                        reason=f"troubleshooting a customer who is {feeling}, with no acknowledgement yet",
                        better_move="First one sentence that names their frustration and its impact, then the steps.",
                    )
                ]
        return []
