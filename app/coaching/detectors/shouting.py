"""Writing in capitals (an upset signal) or repeated exclamation marks (only a hint)."""

from __future__ import annotations

import re

from app.coaching.analysis import Cue, Span
from app.coaching.context import TurnContext
from app.coaching.state import ConversationState
from app.coaching.text import blank_placeholders, mostly_capitals

_SHOUT_WORD = re.compile(r"\b[A-Z]{3,}\b")
_BANGS = re.compile(r"[!?]*![!?]*!+[!?]*")
KNOWN_ACRONYMS = frozenset({"USA", "USB", "ATM", "PDF", "URL", "API", "SMS", "ETA", "FAQ", "CEO", "VAT", "UPS", "DHL"})


class ShoutingDetector:
    name = "shouting"
    role = "customer"
    needs = frozenset()

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        return shouting(context.text)


def shouting(text: str) -> list[Cue]:
    words_only = blank_placeholders(text)  # "#PHONENUMBER#" or "<CREDIT_CARD>" is nobody shouting
    caps = [m for m in _SHOUT_WORD.finditer(words_only) if m.group(0) not in KNOWN_ACRONYMS]
    if len(caps) >= 3 or mostly_capitals(words_only, min_letters=12):
        span = (
            Span(start=caps[0].start(), end=caps[-1].end(), text=text[caps[0].start() : caps[-1].end()])
            if caps
            else Span(start=0, end=len(text), text=text)
        )
        return [Cue(kind="shouting", span=span, reason="writing in capitals", severity="warn")]
    bangs = _BANGS.search(text)
    if bangs:
        span = Span(start=bangs.start(), end=bangs.end(), text=bangs.group(0))
        return [Cue(kind="shouting", span=span, reason="repeated exclamation marks", severity="info")]
    return []
