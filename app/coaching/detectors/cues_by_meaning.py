"""Customer cues by meaning: a logistic head over the sentence vectors, trained from labelled
customer sentences kept as data (frameworks/cue_examples.yaml, a tenant's files merged in, and
the one-sentence turns of our support chats' train split, models/support_chats).
Catches what no pattern lists: sarcasm, churn to a named competitor, terse or machine-translated
complaints, worry about money or health. A cue the patterns already found is not repeated."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from app.coaching.analysis import Cue
from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary
from app.coaching.moves import SentenceClassifier
from app.coaching.state import ConversationState
from app.coaching.text import words

NONE = "none"
MIN_PROBABILITY = 0.65  # a wrong cue costs more than a missed one: shown only when the head is sure
# An alert (abuse, escalation, churn) changes what the agent must do next (set a boundary, hand over):
# by meaning alone it needs a surer head ("Are you serious." read 0.76 abuse); its patterns are exact.
ALERT_MIN_PROBABILITY = 0.85
# ...or when the sentence is surely *some* upset cue ("I'm stuck at the airport with two kids" is
# worry, churn or complaint, but surely upset).
MIN_CUE_MASS = 0.8
MIN_TOP_IN_MASS = 0.35
# Alerts (abuse, escalation, churn) change what the agent must do next: by meaning only when the head
# is sure of that very cue, never from the shared upset mass.


class CuesByMeaningDetector:
    name = "cues_by_meaning"
    role = "customer"
    needs = frozenset({"vectors", "emotions"})

    def __init__(
        self,
        library: CoachingLibrary,
        encode: Callable[[Sequence[str]], np.ndarray],
        min_probability: float = MIN_PROBABILITY,
        cache_dir: Path | None = None,
        extra_examples: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.definitions = library.cue_definitions
        merged: dict[str, list[str]] = {k: list(v) for k, v in library.customer_cue_examples.items()}
        for kind, sentences in (extra_examples or {}).items():
            merged.setdefault(kind, []).extend(sentences)
        examples = {k: v for k, v in merged.items() if k == NONE or k in self.definitions}
        self.classifier = (
            SentenceClassifier.train_cached(examples, encode, negative=NONE, cache_dir=cache_dir)
            if len(examples) > 1 and NONE in examples
            else None
        )
        self.min_probability = min_probability
        labels = self.classifier.labels if self.classifier else ()
        # Per label: an upset cue; an upset cue that is no alert (the only ones shown from the shared mass).
        self.upset = np.array([k in self.definitions and self.definitions[k].upset for k in labels], dtype=bool)
        alert = np.array(
            [k in self.definitions and self.definitions[k].severity == "alert" for k in labels], dtype=bool
        )
        self.alert = alert
        self.soft = self.upset & ~alert

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        if self.classifier is None or len(context.vectors) == 0:
            return []
        seen = context.cue_kinds()
        found: list[Cue] = []
        labels, upset, soft, alert = self.classifier.labels, self.upset, self.soft, self.alert
        positive = context.prediction is not None and context.prediction.sentiment.label == "positive"
        for i, row in enumerate(self.classifier.probabilities(context.vectors)):
            j = int(row.argmax())
            floor = ALERT_MIN_PROBABILITY if alert[j] else self.min_probability
            sure = labels[j] != NONE and row[j] >= max(floor, self.min_probability)
            if not sure and upset.any() and not positive:
                # The upset cues share the probability between them: a sentence surely *some* upset
                # cue is shown as the likeliest one (never an alert: those need the head to be sure).
                mass = float(row[upset].sum())
                j = int(np.where(soft, row, -1.0).argmax())
                sure = bool(soft.any()) and mass >= MIN_CUE_MASS and row[j] >= MIN_TOP_IN_MASS
            kind = labels[j]
            if not sure or kind in seen:
                continue
            cue = self.definitions[kind]
            if len(words(context.sentences[i].text)) < cue.min_words:
                continue
            if positive and cue.upset and not cue.ironic:
                continue  # the model reads it as positive: only an ironic cue says one thing and means another
            seen.add(kind)
            reason = f"{cue.reason} (by meaning, {row[j]:.2f})"
            found.append(Cue(kind=kind, span=context.sentences[i], reason=reason, severity=cue.severity))
        return found


def support_chat_examples(split: str = "train") -> dict[str, list[str]]:
    """Cue examples from our support chats (models/support_chats): each customer turn of one
    sentence with exactly one cue this head knows (or none at all: "none"). Turn-level labels fit a
    sentence only when the turn is one sentence; `question` is the neutral state's cue, not the head's."""
    from app.coaching.text import split_sentences
    from models.support_data import read_support_turns

    out: dict[str, list[str]] = {}
    for turn in read_support_turns(split=split):
        if len(split_sentences(turn.text)) != 1:
            continue
        kinds = [c for c in turn.cues if c != "question"]
        if len(kinds) <= 1:
            out.setdefault(kinds[0] if kinds else NONE, []).append(turn.text)
    return out
