"""Agent checks defined as data: every phrase library (frameworks/phrases/, a tenant's own files)
whose flag is not "templated" raises its flag on a sentence that matches one of its patterns, or
is near one of its phrases in meaning and not nearer one of its counter-examples."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from app.coaching.analysis import AgentFlag
from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary
from app.coaching.phrases import PhraseIndex
from app.coaching.state import ConversationState

MEANING = 0.65
COUNTER_MARGIN = 0.05  # by meaning, a sentence must be this much nearer a phrase than any counter-example


class PhraseFlagDetector:
    name = "phrase_flags"
    role = "agent"
    needs = frozenset({"vectors"})

    def __init__(self, library: CoachingLibrary, encode: Callable[[Sequence[str]], np.ndarray]) -> None:
        flags = sorted({lib.flag for lib in library.phrases.values() if lib.flag != "templated"})
        self.indexes = [PhraseIndex(library, flag, encode) for flag in flags]

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        found = []
        for index in self.indexes:
            nearest = index.nearest(context.vectors)
            counters = index.nearest_counter(context.vectors)
            for i, span in enumerate(context.sentences):
                if context.compliance[i]:
                    continue
                matched = index.pattern(span.text)
                if matched:
                    library, match = matched
                    reason = f'{library.reason} ("{match.group(0)}")'
                else:
                    similarity, entry = nearest[i]
                    if entry is None or similarity < MEANING or similarity < counters[i] + COUNTER_MARGIN:
                        continue
                    library, phrase = entry
                    reason = f'{library.reason} (reads like "{phrase.text}", similarity {similarity:.2f})'
                if library.unless_offered and context.offers(i):
                    continue  # the turn says what can be done, beside the rule
                found.append(AgentFlag(kind=library.flag, span=span, reason=reason, better_move=library.better_move))
        return found
