"""Sentence embeddings for meaning matches (repeated questions, canned phrasing, macros).

The emotion model's own pooled vectors are tuned to feelings: "sorry for the delay" and
"sorry your parcel was lost" sit together there.  Meaning needs the base all-MiniLM-L6-v2
sentence encoder, loaded from its wheel through sentence-transformers, offline.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np
import torch
from cachetools import LRUCache

from models.classifier import quantize_int8
from models.network import base_encoder_path


class SentenceEncoder:
    """Unit-length sentence vectors with a bounded cache (agents repeat their macros)."""

    def __init__(self, *, backend: str = "fp32", batch_size: int = 64, cache_size: int = 8192) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(base_encoder_path()), device="cpu", local_files_only=True)
        if backend == "int8":
            self.model = quantize_int8(self.model)
        self.model.eval()
        self.dimension = int(self.model.get_embedding_dimension() or 384)
        self.batch_size = batch_size
        self._cache: LRUCache[str, np.ndarray] = LRUCache(maxsize=max(cache_size, 1))
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, d) float32, rows unit-normalised, in input order."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            missing = sorted({t for t in texts if t not in self._cache})
            if missing:
                with torch.inference_mode():
                    vectors = self.model.encode(
                        missing,
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[text] = vector.astype(np.float32)
            for i, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is None:  # evicted within this call (batch larger than the cache)
                    vector = self.model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]
                out[i] = vector
        return out
