"""Repeat ask: the agent asks for something the customer already gave (an order number, an
email, their story). The ask is recognised by meaning (the ask_info / ask_repeat moves); what
is asked for by the words naming it."""

from __future__ import annotations

import re

from app.coaching.analysis import AgentFlag
from app.coaching.context import TurnContext
from app.coaching.state import ConversationState
from app.coaching.text import ID_KINDS

ASKS_FOR = {
    "orders": re.compile(r"\b(order|ticket|case|invoice|booking|reservation|reference)( number| no| id| #)?\b", re.I),
    "emails": re.compile(r"\be-?mail\b", re.I),
    "phones": re.compile(r"\b(phone|mobile|cell)( number)?\b", re.I),
    "dates": re.compile(r"\b(date(?! of birth)|when did|what day)\b", re.I),
    "times": re.compile(r"\b(what time|the time|which time|time (of|when))\b", re.I),
    "addresses": re.compile(r"\b(address|postcode|post code|zip ?code)\b", re.I),
    "models": re.compile(r"\b(make|model|serial number)\b", re.I),
    "attachments": re.compile(r"\b(photos?|pictures?|pics?|screenshots?|images?|videos?|receipts?)\b", re.I),
    "money": re.compile(r"\b(the amount|what amount|how much (was|did|were|you)|the (exact )?sum)\b", re.I),
}
# A reference of a kind the customer named ("account 55120-B", "tracking SP449..."), asked for again.
ASKED_ID_KIND = re.compile(rf"\b({ID_KINDS})( number| no| id| #| reference)?\b", re.I)
# An ask is a question or a request; "sorry you had to tell this story three times" is neither.
_REQUEST = re.compile(
    r"\?|\b(please|could you|can you|would you|may I|can I|I('ll| will) need|kindly|tell me|let me know)\b", re.I
)
# Their story asked for in so many words, once they have told it: "a description of the issue",
# "what the issue is", "how can I help today?" (read by meaning as a greeting or a plain ask).
ASKS_FOR_STORY = re.compile(
    r"\b(descri(be|ption of) (the|your) (issue|problem|fault)|what (the|your) (issue|problem) (is|was)|"
    r"what('s| is| was) the (issue|problem)|what happened|how (can|may) I (help|assist)|"
    r"what can I (do|help) (for|with)|(tell|explain) (me|us) (more )?(about )?(the|your) (issue|problem)|"
    r"why (you'?d|you would|you want to|you'?re looking to) (like to )?(cancel|leave|close|end))\b",
    re.I,
)
BETTER_MOVE = "Use what they already gave you; confirm it instead of asking again."
# "What's her name and address?" asks about someone else (a neighbour to add), not again about them.
SOMEONE_ELSE = re.compile(r"\b(her|his|their|them|him)\b", re.I)
ABOUT_A_PERSON = frozenset({"addresses", "emails", "phones", "dates"})
SLOT_NAMES = {
    "models": "make and model",
    "attachments": "photos or documents",
    "addresses": "address",
    "money": "amount",
}


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
            if details.explained and (reading.makes("ask_repeat") or ASKS_FOR_STORY.search(span.text)):
                reason = f'the customer already explained: "{details.quote or details.issue}"'
            elif reading.makes("ask_info", "ask_repeat"):
                someone_else = bool(SOMEONE_ELSE.search(span.text))
                for slot, pattern in ASKS_FOR.items():
                    known = getattr(details, slot)
                    if someone_else and slot in ABOUT_A_PERSON:
                        continue
                    if known and pattern.search(span.text):
                        given = f': "{known[-1]}"' if isinstance(known, list) else ""
                        reason = f"the customer already gave their {SLOT_NAMES.get(slot, slot.rstrip('s'))}{given}"
                        break
                kind = ASKED_ID_KIND.search(span.text)
                given_id = details.ids_by_kind.get(kind.group(1).lower()) if kind else None
                if reason is None and given_id:
                    reason = f'the customer already gave their {kind.group(1).lower()} number: "{given_id}"'
            if reason:
                flags.append(AgentFlag(kind="repeat_ask", span=span, reason=reason, better_move=BETTER_MOVE))
        return flags
