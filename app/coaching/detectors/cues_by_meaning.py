"""Customer cues by meaning: a logistic head over the sentence vectors, trained from labelled
customer sentences kept as data (frameworks/cue_examples.yaml, a tenant's files merged in).
Catches what no pattern lists: sarcasm, churn to a named competitor, terse or machine-translated
complaints, worry about money or health. A cue the patterns already found is not repeated."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from app.coaching.analysis import Cue
from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary
from app.coaching.moves import AgentMoveClassifier
from app.coaching.state import ConversationState

NONE = "none"
MIN_PROBABILITY = 0.75  # a wrong cue costs more than a missed one: shown only when the head is sure


class CuesByMeaningDetector:
    name = "cues_by_meaning"
    role = "customer"
    needs = frozenset({"vectors"})

    def __init__(
        self,
        library: CoachingLibrary,
        encode: Callable[[Sequence[str]], np.ndarray],
        min_probability: float = MIN_PROBABILITY,
    ) -> None:
        self.definitions = library.cue_definitions
        examples = {k: v for k, v in library.customer_cue_examples.items() if k == NONE or k in self.definitions}
        self.classifier = (
            AgentMoveClassifier.train_cached(examples, encode, negative=NONE)
            if len(examples) > 1 and NONE in examples
            else None
        )
        self.min_probability = min_probability

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        if self.classifier is None or len(context.vectors) == 0:
            return []
        seen = context.cue_kinds()
        found: list[Cue] = []
        probabilities = self.classifier.probabilities(context.vectors)
        for i, row in enumerate(probabilities):
            j = int(row.argmax())
            kind = self.classifier.labels[j]
            if kind == NONE or row[j] < self.min_probability or kind in seen:
                continue
            seen.add(kind)
            cue = self.definitions[kind]
            reason = f"{cue.reason} (by meaning, {row[j]:.2f})"
            found.append(Cue(kind=kind, span=context.sentences[i], reason=reason, severity=cue.severity))
        return found
