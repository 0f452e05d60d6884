"""Customer cues read from the whole turn: one logistic head per cue over the emotion model's embedding
of the turn (fine-tuned on support chats, reading the agent's turn before it) beside the mean and
the max of the base encoder's sentence vectors. Trained from labelled turns kept as data: our
support chats' train split (models/support_chats, each with the agent turn before it) and the cue
examples in frameworks/ (a tenant's merged in). Each cue's threshold is the one with the best F1 at
precision >= MIN_PRECISION on the support chats' dev split.

Why a second head beside the sentence one (`cues_by_meaning`): a complaint is often spread over a
turn ("returned the car on the 3rd. deposit still on my card. its the 16th") and reads as one only
with the agent's question before it; on the coaching halves this head finds 1.5-2x the complaints
and waits the sentence head does. Its cues are shown but open no obligation
(`opens_obligations`). An upset cue is shown only when the model reads the customer as upset, so
the head names what upsets them and never makes a calm customer upset by itself."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.coaching.analysis import Cue
from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary
from app.coaching.moves import PROBE, default_cache_dir, load_arrays, save_arrays
from app.coaching.state import ConversationState
from app.coaching.text import split_sentences

# The cues a turn shows and the coach acts on; structural ones (shouting, short answers, repeated
# questions) have detectors of their own, and `question` / `settled` / `worry` belong to the state.
TURN_CUES = ("complaint", "waiting", "repeat_story", "sarcasm", "churn", "escalation", "abuse")
MIN_PRECISION = 0.75  # on support dev; a wrong cue costs more than a missed one
UNTUNED_THRESHOLD = 0.9  # a cue with no dev turns to tune on (a tenant's own)
REGULARISATION = 1.0
MIN_TURNS = 20  # fewer labelled turns than this: no head for that cue

# (texts, the agent turn before each or None) -> one embedding row per text (the emotion model's).
EmbedTurns = Callable[[Sequence[str], Sequence[str | None]], np.ndarray]
Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class LabelledTurn:
    text: str
    previous: str | None
    cues: frozenset[str]


def turn_features(embedding: np.ndarray, sentence_vectors: np.ndarray) -> np.ndarray:
    """What the head reads: the unit-length turn embedding, the mean and the max of the sentence vectors."""
    unit = embedding / max(float(np.linalg.norm(embedding)), 1e-6)
    return np.concatenate([unit, sentence_vectors.mean(0), sentence_vectors.max(0)]).astype(np.float32)


def _features(turns: Sequence[LabelledTurn], embed: EmbedTurns, encode: Encode) -> np.ndarray:
    embeddings = embed([t.text for t in turns], [t.previous for t in turns])
    sentences = [[s.text for s in split_sentences(t.text)] or [t.text] for t in turns]
    flat = [s for group in sentences for s in group]
    vectors = encode(flat)
    rows, start = [], 0
    for turn_embedding, group in zip(embeddings, sentences, strict=True):
        rows.append(turn_features(turn_embedding, vectors[start : start + len(group)]))
        start += len(group)
    return np.stack(rows)


def _threshold(probabilities: np.ndarray, gold: np.ndarray) -> float:
    """The threshold with the best F1 at precision >= MIN_PRECISION (1.0: never, if none reaches it)."""
    if not gold.any():
        return UNTUNED_THRESHOLD
    best_f1, best = 0.0, 1.0
    for threshold in np.arange(0.30, 0.995, 0.01):
        chosen = probabilities >= threshold
        if not chosen.any():
            continue
        precision = float(gold[chosen].mean())
        recall = float((gold & chosen).sum() / gold.sum())
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if precision >= MIN_PRECISION and f1 > best_f1:
            best_f1, best = f1, float(threshold)
    return best


class TurnCueHead:
    """Per cue: weights and bias of a logistic regression, and its threshold."""

    def __init__(self, labels: Sequence[str], weights: np.ndarray, bias: np.ndarray, thresholds: np.ndarray) -> None:
        self.labels = tuple(labels)
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.thresholds = thresholds.astype(np.float32)

    @classmethod
    def train(
        cls, train: Sequence[LabelledTurn], dev: Sequence[LabelledTurn], embed: EmbedTurns, encode: Encode
    ) -> TurnCueHead:
        from sklearn.linear_model import LogisticRegression

        labels = [c for c in TURN_CUES if sum(c in t.cues for t in train) >= MIN_TURNS]
        x = _features(train, embed, encode)
        x_dev = _features(dev, embed, encode) if dev else np.zeros((0, x.shape[1]), np.float32)
        weights, bias, thresholds = [], [], []
        for label in labels:
            gold = np.array([label in t.cues for t in train])
            model = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced").fit(x, gold)
            weights.append(model.coef_[0])
            bias.append(model.intercept_[0])
            dev_gold = np.array([label in t.cues for t in dev], dtype=bool)
            dev_p = model.predict_proba(x_dev)[:, 1] if len(dev) else np.zeros(0)
            thresholds.append(_threshold(dev_p, dev_gold))
        return cls(labels, np.array(weights), np.array(bias), np.array(thresholds))

    @classmethod
    def train_cached(
        cls,
        train: Sequence[LabelledTurn],
        dev: Sequence[LabelledTurn],
        embed: EmbedTurns,
        encode: Encode,
        cache_dir: Path | None = None,
    ) -> TurnCueHead:
        """`train`, remembered on disk under a key of the turns and both encoders (a probe's vectors)."""
        probe = np.round(embed([PROBE], [None])[0], 3).tobytes() + np.round(encode([PROBE])[0], 4).tobytes()
        payload = json.dumps(
            [[(t.text, t.previous, sorted(t.cues)) for t in turns] for turns in (train, dev)]
            + [TURN_CUES, MIN_PRECISION, REGULARISATION]
        )
        key = hashlib.sha256(payload.encode() + probe).hexdigest()[:24]
        path = (cache_dir or default_cache_dir()) / f"turn-cues-{key}.npz"
        saved = load_arrays(path, ("labels", "weights", "bias", "thresholds"))
        if saved is not None:
            return cls([str(x) for x in saved["labels"]], saved["weights"], saved["bias"], saved["thresholds"])
        head = cls.train(train, dev, embed, encode)
        save_arrays(
            path, labels=np.array(head.labels), weights=head.weights, bias=head.bias, thresholds=head.thresholds
        )
        return head

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(features @ self.weights.T + self.bias)))


class TurnCuesDetector:
    name = "cues_in_turn"
    role = "customer"
    needs = frozenset({"vectors", "emotions"})
    # Shown to the agent, but owing nothing: at precision 0.75 the head is sure enough to name a cue, not
    # to put a card up (on the fifth held-back half its cues opening obligations moved the wrong step
    # shown from 0.12 to 0.19).
    opens_obligations = False

    def __init__(self, library: CoachingLibrary, head: TurnCueHead) -> None:
        self.definitions = library.cue_definitions
        self.head = head

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        prediction = context.prediction
        if prediction is None or len(context.vectors) == 0 or not self.head.labels:
            return []
        seen = context.cue_kinds()
        probabilities = self.head.probabilities(turn_features(prediction.embedding, context.vectors)[None, :])[0]
        per_sentence: np.ndarray | None = None  # each sentence read alone, for the evidence; only when a cue shows
        found: list[Cue] = []
        for j, kind in enumerate(self.head.labels):
            cue = self.definitions.get(kind)
            if cue is None or kind in seen or probabilities[j] < self.head.thresholds[j]:
                continue
            if cue.upset and not prediction.upset.upset:
                continue  # names what upsets them; never makes a calm customer upset by itself
            if per_sentence is None:
                alone = [
                    turn_features(prediction.embedding, context.vectors[i : i + 1]) for i in range(len(context.vectors))
                ]
                per_sentence = self.head.probabilities(np.stack(alone))
            i = int(np.argmax(per_sentence[:, j]))  # the sentence that reads most like the cue on its own
            reason = f"{cue.reason} (by meaning, the whole turn, {probabilities[j]:.2f})"
            found.append(Cue(kind=kind, span=context.sentences[i], reason=reason, severity=cue.severity))
        return found


def support_chat_turns(split: str) -> list[LabelledTurn]:
    from models.support_data import read_support_turns

    return [LabelledTurn(t.text, t.previous, frozenset(t.cues)) for t in read_support_turns(split=split)]


def example_turns(examples: Mapping[str, Sequence[str]]) -> list[LabelledTurn]:
    """The library's cue examples as one-sentence turns with no agent turn before them."""
    return [
        LabelledTurn(text, None, frozenset() if kind == "none" else frozenset({kind}))
        for kind, texts in examples.items()
        for text in texts
    ]
