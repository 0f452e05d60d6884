"""Sentences classified by meaning: what an agent sentence does (apologise, acknowledge, act,
refuse, transfer ...; frameworks/moves/) and which cue a customer sentence shows
(frameworks/cue_examples.yaml).

A logistic head over the base sentence encoder's vectors, trained at start-up from labelled
example sentences kept as data (a tenant's files merged in): a team teaches the coach its own
phrasing with a YAML file, and no weights are shipped for it. Inference is one matrix product on
vectors the turn context already holds.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OTHER = "other"
MIN_PROBABILITY = 0.35  # a second move of one sentence counts from here ("Sorry, I've refunded it")
PROBE = "Thanks for waiting, I've refunded the charge."  # its vector identifies the encoder in cache keys
REGULARISATION = 4.0  # sklearn's C, chosen by `coach eval moves` (train/test split of our own examples)


def default_cache_dir() -> Path:
    """Where trained heads are remembered unless the settings say (COACHLINE_CACHE_DIR)."""
    return Path.home() / ".cache" / "coachline"


def load_arrays(path: Path, names: Sequence[str]) -> dict[str, np.ndarray] | None:
    """A remembered head's arrays, or None when it is not there (or torn, or foreign: train again)."""
    if not path.is_file():
        return None
    try:
        saved = np.load(path, allow_pickle=False)
        return {name: saved[name] for name in names}
    except (OSError, ValueError, KeyError):
        return None


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Remember a trained head; a read-only home leaves it working, just not remembered."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, **arrays)
        partial.replace(path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:
        pass


@dataclass(frozen=True)
class MoveReading:
    """The moves one sentence makes (most likely first; never "other") and every probability."""

    moves: tuple[str, ...]
    scores: Mapping[str, float]

    def top(self) -> str:
        return max(self.scores, key=self.scores.__getitem__) if self.scores else OTHER

    def makes(self, *moves: str) -> bool:
        return any(m in self.moves for m in moves)


NO_MOVES = MoveReading(moves=(), scores={})


class SentenceClassifier:
    """Multinomial logistic regression over sentence vectors; `read` on a batch of vectors. The
    agent-move classifier (negative label "other") and the customer-cue one ("none") are two of these."""

    def __init__(self, labels: Sequence[str], weights: np.ndarray, bias: np.ndarray, negative: str = OTHER) -> None:
        self.labels = tuple(labels)
        self.negative = negative  # the label that means "none of them"
        self.weights = weights.astype(np.float32)  # (n_labels, dim)
        self.bias = bias.astype(np.float32)

    @classmethod
    def train(
        cls,
        examples: Mapping[str, Sequence[str]],
        encode: Callable[[Sequence[str]], np.ndarray],
        regularisation: float = REGULARISATION,
        negative: str = OTHER,
    ) -> SentenceClassifier:
        """Fit on `examples` (move -> sentences). Classes are weighted by their counts, so a move
        with fewer examples is not drowned by "other"."""
        from sklearn.linear_model import LogisticRegression

        labels = sorted(m for m, sentences in examples.items() if sentences)
        if len(labels) < 2:
            raise ValueError("the agent-move classifier needs examples of at least two moves")
        texts = [s for m in labels for s in examples[m]]
        targets = [i for i, m in enumerate(labels) for _ in examples[m]]
        model = LogisticRegression(C=regularisation, max_iter=3000, class_weight="balanced")
        model.fit(encode(texts), targets)
        weights, bias = model.coef_, model.intercept_
        if len(labels) == 2:  # sklearn keeps one row for two classes: the second class's logit
            weights, bias = np.vstack([np.zeros_like(weights), weights]), np.concatenate([[0.0], bias])
        return cls(labels, weights, bias, negative)

    @classmethod
    def train_cached(
        cls,
        examples: Mapping[str, Sequence[str]],
        encode: Callable[[Sequence[str]], np.ndarray],
        negative: str = OTHER,
        cache_dir: Path | None = None,
    ) -> SentenceClassifier:
        """`train`, remembered on disk under a key of the examples and the encoder (a probe
        sentence's vector): a service or test run that starts again with the same data loads the
        head in milliseconds instead of encoding and fitting ~1,000 sentences. A tenant's new
        examples change the key, so they are always trained on."""
        probe = np.round(encode([PROBE])[0], 4).tobytes()
        payload = json.dumps({"examples": examples, "negative": negative, "C": REGULARISATION}, sort_keys=True)
        key = hashlib.sha256(payload.encode() + probe).hexdigest()[:24]
        path = (cache_dir or default_cache_dir()) / f"head-{key}.npz"
        saved = load_arrays(path, ("labels", "weights", "bias"))
        if saved is not None:
            return cls([str(x) for x in saved["labels"]], saved["weights"], saved["bias"], negative)
        head = cls.train(examples, encode, negative=negative)
        save_arrays(path, labels=np.array(head.labels), weights=head.weights, bias=head.bias)
        return head

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        if len(vectors) == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        logits = vectors @ self.weights.T + self.bias
        logits -= logits.max(1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(1, keepdims=True)

    def read(self, vectors: np.ndarray, min_probability: float = MIN_PROBABILITY) -> list[MoveReading]:
        readings = []
        for row in self.probabilities(vectors):
            order = np.argsort(-row)
            moves = tuple(
                self.labels[j]
                for rank, j in enumerate(order)
                if self.labels[j] != self.negative and (rank == 0 or row[j] >= min_probability)
            )
            scores = {label: round(float(p), 4) for label, p in zip(self.labels, row, strict=True)}
            readings.append(MoveReading(moves=moves, scores=scores))
        return readings
