"""Customer cues defined as data (frameworks/cues.yaml and a tenant's own files): each by its
patterns and/or by meaning (nearest labelled example sentence, unless a counter-example is nearer)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from app.coaching.analysis import Cue, Span
from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary, CueDefinition
from app.coaching.state import ConversationState

COUNTER_MARGIN = 0.05


class PhraseCueDetector:
    name = "phrase_cues"
    role = "customer"
    needs = frozenset({"vectors"})

    def __init__(self, library: CoachingLibrary, encode: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.cues: dict[str, CueDefinition] = library.cue_definitions
        self.patterns = {name: cue_patterns(cue) for name, cue in self.cues.items()}
        self.examples = {name: encode(cue.examples) for name, cue in self.cues.items() if cue.examples}
        self.counters = {name: encode(cue.counter_examples) for name, cue in self.cues.items() if cue.counter_examples}

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        found = []
        for name, cue in self.cues.items():
            span, why = self._by_pattern(name, context.text) or self._by_meaning(name, cue, context) or (None, "")
            if span is not None:
                found.append(Cue(kind=name, span=span, reason=cue.reason + why, severity=cue.severity))
        return found

    def _by_pattern(self, name: str, text: str) -> tuple[Span, str] | None:
        for pattern in self.patterns[name]:
            match = pattern.search(text)
            if match:
                return Span(start=match.start(), end=match.end(), text=match.group(0)), ""
        return None

    def _by_meaning(self, name: str, cue: CueDefinition, context: TurnContext) -> tuple[Span, str] | None:
        examples = self.examples.get(name)
        if examples is None or len(context.vectors) == 0:
            return None
        similarity = context.vectors @ examples.T
        best = similarity.max(1)
        counters = self.counters.get(name)
        floor = (context.vectors @ counters.T).max(1) + COUNTER_MARGIN if counters is not None else 0.0
        ok = (best >= cue.min_similarity) & (best >= floor)
        if not ok.any():
            return None
        i = int(np.argmax(np.where(ok, best, -1.0)))
        example = cue.examples[int(similarity[i].argmax())]
        return context.sentences[i], f' (reads like "{example}", similarity {best[i]:.2f})'


def cue_patterns(cue: CueDefinition) -> list[re.Pattern[str]]:
    return [re.compile(p, re.I) for p in cue.patterns]


def pattern_cues(library: CoachingLibrary, text: str) -> list[Cue]:
    """The cues a text's words alone show (patterns only, no encoder): for model-free evaluations."""
    found = []
    for name, cue in library.cue_definitions.items():
        for pattern in cue_patterns(cue):
            match = pattern.search(text)
            if match:
                span = Span(start=match.start(), end=match.end(), text=match.group(0))
                found.append(Cue(kind=name, span=span, reason=cue.reason, severity=cue.severity))
                break
    return found
