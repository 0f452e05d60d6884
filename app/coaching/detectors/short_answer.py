"""A terse reply after long messages: engagement dropping ("ok." after a long complaint)."""

from __future__ import annotations

import re

from app.coaching.analysis import Cue, Span
from app.coaching.context import TurnContext
from app.coaching.state import ConversationState
from app.coaching.text import blank_placeholders, words

_DATA = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")  # an email or a link typed as a reply
MAX_WORDS = 3
EARLIER_WORDS = 12


class ShortAnswerDetector:
    name = "short_answer"
    role = "customer"
    needs = frozenset({"emotions"})

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        lengths: list[int] = state.memory_of(self.name, list)
        n = len(words(context.text))
        earlier = max(lengths[-3:], default=0)
        lengths.append(n)
        positive = context.prediction is not None and context.prediction.sentiment.label == "positive"
        if n == 0 or n > MAX_WORDS or earlier < EARLIER_WORDS or positive:
            return []
        if not any(w.isalpha() for w in words(_DATA.sub(" ", blank_placeholders(context.text)))):
            return []  # an email, a number, an order id: data the agent asked for, not disengagement
        return [
            Cue(
                kind="short_answer",
                span=Span(start=0, end=len(context.text), text=context.text),
                severity="info",
                reason=f"{n}-word reply after a {earlier}-word message: engagement dropping",
            )
        ]
