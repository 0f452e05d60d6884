"""Solution before empathy: troubleshooting steps to an upset customer who has not been
acknowledged yet (neither in an earlier turn nor in this one)."""

from __future__ import annotations

import re

from app.coaching.analysis import AgentFlag
from app.coaching.context import TurnContext
from app.coaching.learn import FEELING
from app.coaching.state import ConversationState

INSTRUCTION = re.compile(
    r"\b(try|restart|reinstall|reboot|clear (your|the)|log (out|in)|sign (out|in)|go to|click|tap|make sure|"
    r"check (your|that|if|the)|have you tried|follow (these|the) steps|steps below|update (your|the) app|"
    r"unplug|plug (it|the)|turn (it|the \w+) (off|on)|power.?cycle|settings\s*>|"
    # sending them elsewhere or giving them a task: "Please contact your GP surgery", "you'll need to"
    r"please (contact|call|ring|email|visit|fill|complete|submit|upload|send|reach out)|(contact|call|ring) (your|the)|"
    r"(you'?ll|you will|you'?d|you would) need to|you (need|have|must) to|you must)\b",
    re.I,
)


class SolutionBeforeEmpathyDetector:
    name = "solution_before_empathy"
    role = "agent"
    needs = frozenset({"moves"})

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        if not state.upset or not state.ledger.owes("empathy") or context.makes("acknowledge_feeling", "apology"):
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
