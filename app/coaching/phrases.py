"""Phrase libraries compiled for matching: by meaning (sentence vectors) and by pattern."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from app.coaching.frameworks import CoachingLibrary, Phrase, PhraseLibrary


class PhraseIndex:
    """Every phrase library that raises one flag (e.g. all "templated" libraries, built-in and tenant)."""

    def __init__(self, library: CoachingLibrary, flag: str, encode: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.libraries = [lib for lib in library.phrases.values() if lib.flag == flag]
        self.entries: list[tuple[PhraseLibrary, Phrase]] = [(lib, p) for lib in self.libraries for p in lib.phrases]
        self.vectors = encode([p.text for _, p in self.entries]) if self.entries else np.zeros((0, 1), np.float32)
        counters = [text for lib in self.libraries for text in lib.counter_examples]
        self.counter_vectors = encode(counters) if counters else None
        self.patterns = [(lib, re.compile(p, re.I)) for lib in self.libraries for p in lib.patterns]

    def nearest(self, vectors: np.ndarray) -> list[tuple[float, tuple[PhraseLibrary, Phrase] | None]]:
        """For each sentence vector, the best cosine to a phrase and that phrase."""
        if not self.entries or len(vectors) == 0:
            return [(0.0, None)] * len(vectors)
        sims = vectors @ self.vectors.T
        best = sims.argmax(1)
        return [(float(sims[i, j]), self.entries[j]) for i, j in enumerate(best)]

    def nearest_counter(self, vectors: np.ndarray) -> np.ndarray:
        """For each sentence vector, the best cosine to a counter-example (0 when there are none)."""
        if self.counter_vectors is None or len(vectors) == 0:
            return np.zeros(len(vectors), np.float32)
        return (vectors @ self.counter_vectors.T).max(1)

    def pattern(self, sentence: str) -> tuple[PhraseLibrary, re.Match[str]] | None:
        for lib, pattern in self.patterns:
            match = pattern.search(sentence)
            if match:
                return lib, match
        return None
