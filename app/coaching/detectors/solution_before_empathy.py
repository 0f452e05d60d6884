"""Solution before empathy: troubleshooting steps to an upset customer who has not been
acknowledged yet (neither in an earlier turn nor in this one)."""

from __future__ import annotations

from app.coaching.analysis import AgentFlag
from app.coaching.context import TurnContext
from app.coaching.learn import FEELING
from app.coaching.state import ConversationState
from app.coaching.text import INSTRUCTION


class SolutionBeforeEmpathyDetector:
    name = "solution_before_empathy"
    role = "agent"
    needs = frozenset({"moves"})

    @staticmethod
    def _acknowledged(context: TurnContext) -> bool:
        """An acknowledgement or an apology in this turn that is not itself a robotic stock line
        ("We're sorry to hear your box wasn't up to scratch" from a macro settles nothing)."""
        robotic = {f.span.start for f in context.flags if f.kind == "robotic"}
        return any(
            reading.makes("acknowledge_feeling", "apology") and not disclosure and span.start not in robotic
            for reading, span, disclosure in zip(context.moves, context.sentences, context.compliance, strict=True)
        )

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        if not state.upset or not state.ledger.owes("empathy") or self._acknowledged(context):
            return []
        for span in context.sentences:
            if INSTRUCTION.search(span.text):
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
