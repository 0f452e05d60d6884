"""Writing in capitals (an upset signal) or repeated exclamation marks (only a hint). One word in
capitals ("I CANCELLED", "AGAIN") or a run of "???" is shouting too, but only a hint: a happy
customer shouts as well ("THEYRE BACK!!!"), so alone it makes no one upset."""

from __future__ import annotations

import re

from app.coaching.analysis import Cue, Span
from app.coaching.context import TurnContext
from app.coaching.phrasing import ACRONYMS, SHORT_SHOUTS
from app.coaching.state import ConversationState
from app.coaching.text import blank_placeholders, mostly_capitals

_SHOUT_WORD = re.compile(r"\b[A-Z]{3,}\b")
_BANGS = re.compile(r"[!?]*![!?]*!+[!?]*|[!?]{3,}")
_VOWEL = re.compile(r"[AEIOUY]")
KNOWN_ACRONYMS = ACRONYMS | frozenset({"URL", "API", "ETA", "FAQ", "VAT"})


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
    # A shouted word, not an acronym: a short one people shout, or a longer one with a vowel ("HMRC", "GDPR" have none).
    shouted = [
        m
        for m in caps
        if m.group(0) not in ACRONYMS
        and (m.group(0) in SHORT_SHOUTS or (len(m.group(0)) >= 4 and _VOWEL.search(m.group(0))))
    ]
    if shouted:
        m = shouted[0]
        return [
            Cue(
                kind="shouting",
                span=Span(start=m.start(), end=m.end(), text=m.group(0)),
                reason="a word in capitals",
                severity="info",
            )
        ]
    bangs = _BANGS.search(text)
    if bangs:
        span = Span(start=bangs.start(), end=bangs.end(), text=bangs.group(0))
        return [Cue(kind="shouting", span=span, reason="repeated exclamation marks", severity="info")]
    return []
