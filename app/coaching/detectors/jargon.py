"""Jargon the customer hasn't used: the terms of frameworks/phrases/jargon.yaml (with the plain
word to say), and any acronym they haven't used that isn't one everybody knows."""

from __future__ import annotations

import re

from app.coaching.analysis import AgentFlag, Span
from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary
from app.coaching.state import ConversationState
from app.coaching.text import blank_placeholders

# Letters only, 2-5 capitals, optionally a plural "s" (an order code has digits: "BW212" is not jargon).
_ACRONYM = re.compile(r"(?<![\w#<\[{-])([A-Z]{2,5})s?(?![\w#>\]}-])")
# Said and explained in one breath: "The BB is the bottom bracket, the part ...", "MPF (maximum fare)".
_EXPLAINED = re.compile(
    r"\s*(\(|is the\b|is an?\b|means\b|stands for\b|, (the|a|an|which|i\.e\.)\b|[-\u2013\u2014:] (the|a|an)\b)", re.I
)


class JargonDetector:
    name = "jargon"
    role = "agent"
    needs = frozenset()

    def __init__(self, library: CoachingLibrary) -> None:
        self.terms = library.jargon_terms
        self.plain = library.plain_acronyms

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        flags = []
        for pattern, plain in self.terms:
            match = pattern.search(context.text)
            if match and not pattern.search(state.customer_text):
                flags.append(_flag(match, f"Say it plainly: {plain}."))
        if flags:
            return flags
        text = blank_placeholders(context.text)
        customer = state.customer_text.upper()
        for match in _ACRONYM.finditer(text):
            acronym = match.group(1)
            if acronym in self.plain or re.search(rf"\b{acronym}\b", customer) or _all_capitals(text):
                continue
            if _EXPLAINED.match(text, match.end()):
                continue
            return [_flag(match, f"Spell out {acronym} or say what it means for them.")]
        return []


def _all_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.5 * len(letters)


def _flag(match: re.Match[str], better_move: str) -> AgentFlag:
    term = match.group(0)
    return AgentFlag(
        kind="jargon",
        span=Span(start=match.start(), end=match.end(), text=term),
        reason=f'"{term}" is jargon the customer hasn\'t used',
        better_move=better_move,
    )
