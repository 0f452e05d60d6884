"""Repeat ask: the agent asks for something the customer already gave (an order number, an
email, their story). The ask is recognised by meaning (the ask_info / ask_repeat moves); what
is asked for by the words naming it."""

from __future__ import annotations

import re

from app.coaching.analysis import AgentFlag
from app.coaching.context import TurnContext
from app.coaching.state import ConversationState

ASKS_FOR = {
    "orders": re.compile(r"\b(order|ticket|case|invoice|booking|reservation|reference)( number| no| id| #)?\b", re.I),
    "emails": re.compile(r"\be-?mail\b", re.I),
    "phones": re.compile(r"\b(phone|mobile|cell)( number)?\b", re.I),
    "dates": re.compile(r"\b(date(?! of birth)|when did|what day)\b", re.I),
}
# An ask is a question or a request; "sorry you had to tell this story three times" is neither.
_REQUEST = re.compile(
    r"\?|\b(please|could you|can you|would you|may I|can I|I('ll| will) need|kindly|tell me|let me know)\b", re.I
)
BETTER_MOVE = "Use what they already gave you; confirm it instead of asking again."


class RepeatAskDetector:
    name = "repeat_ask"
    role = "agent"
    needs = frozenset({"moves"})

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        flags = []
        details = state.details
        for i, span in enumerate(context.sentences):
            reading = context.moves[i]
            reason = None
            if not _REQUEST.search(span.text):
                continue
            if reading.makes("ask_repeat") and details.explained:
                reason = f'the customer already explained: "{details.quote or details.issue}"'
            elif reading.makes("ask_info", "ask_repeat"):
                for slot, pattern in ASKS_FOR.items():
                    known = getattr(details, slot)
                    if known and pattern.search(span.text):
                        reason = f'the customer already gave their {slot.rstrip("s")}: "{known[-1]}"'
                        break
            if reason:
                flags.append(AgentFlag(kind="repeat_ask", span=span, reason=reason, better_move=BETTER_MOVE))
        return flags
