"""Sentence embeddings for meaning matches (repeated questions, canned phrasing, macros).

The emotion model's own pooled vectors are tuned to feelings: "sorry for the delay" and
"sorry your parcel was lost" sit together there.  Meaning needs the base all-MiniLM-L6-v2
sentence encoder, loaded from its wheel through sentence-transformers, offline.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from cachetools import LRUCache

from models.artifact import base_encoder_path
from models.onnx_backend import default_threads
from models.tokenizer import TextTokenizer

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def _load_torch(path: Path) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


class SentenceEncoder:
    """Unit-length sentence vectors with a bounded cache (agents repeat their macros)."""

    def __init__(
        self, *, backend: str = "fp32", batch_size: int = 64, cache_size: int = 8192, threads: int | None = None
    ) -> None:
        """`backend` as the classifier's: with "onnx-int8" the encoder runs in ONNX Runtime, int8,
        one sentence per run (see `export_sentence_encoder`): 2.8x less CPU than fp32, and a
        sentence's vector never depends on what it was batched with.  Runs are single-threaded
        (a dozen tokens don't split well over cores: one thread did 670 sentences/s to two
        threads' 500) and many sentences run side by side on `threads` workers (1,050/s on 2)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = base_encoder_path()
        self.model: SentenceTransformer | None = None
        self._onnx = None
        if backend == "onnx-int8":
            from models.onnx_backend import sentence_encoder_file, sentence_encoder_forward

            exported = sentence_encoder_file(path / "model.safetensors")
            if not exported.is_file():  # first use: export from the torch model, then let it go
                from models.onnx_backend import export_sentence_encoder

                export_sentence_encoder(_load_torch(path)[0].auto_model, exported)
            self._onnx = sentence_encoder_forward(exported, threads=1)
            # Only the tokenizer is needed now (the `tokenizers` library, no transformers): the
            # torch weights (90 MB) would never run.
            config = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
            self.max_seq_length = int(config["max_seq_length"])
            self._tokens = TextTokenizer.from_file(path, self.max_seq_length)
            self.dimension = int(json.loads((path / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        else:
            from models.classifier import quantize_int8

            self.model = _load_torch(path)
            if backend == "int8":
                self.model = quantize_int8(self.model)
            self.model.eval()
            self.max_seq_length = self.model.max_seq_length
            self.dimension = int(self.model.get_embedding_dimension() or 384)
        self._workers = threads or default_threads()
        self._pool: ThreadPoolExecutor | None = None
        self.batch_size = batch_size
        self._cache: LRUCache[str, np.ndarray] = LRUCache(maxsize=max(cache_size, 1))
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, d) float32, rows unit-normalised, in input order."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            # Hits are taken before anything is added: an LRU smaller than this call could
            # otherwise evict them (or this call's own new vectors) before they are read.
            found: dict[str, np.ndarray] = {}
            for text in texts:
                if text not in found and (hit := self._cache.get(text)) is not None:
                    found[text] = hit
            missing = sorted({t for t in texts if t not in found})
            if missing:
                for text, vector in zip(missing, self._embed(missing), strict=True):
                    found[text] = self._cache[text] = vector.copy()  # not a view pinning the whole batch
            for i, text in enumerate(texts):
                out[i] = found[text]
        return out

    def _onnx_one(self, ids: list[int]) -> np.ndarray:
        assert self._onnx is not None
        return self._onnx(np.asarray([ids], dtype=np.int64), np.ones((1, len(ids)), np.int64))

    def _map(self, run: Callable[[list[int]], np.ndarray], items: list[list[int]]) -> list[np.ndarray]:
        """`run` over items, side by side on the worker threads (ONNX Runtime releases the GIL)."""
        if len(items) < 2 or self._workers < 2:
            return [run(item) for item in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="sentence-encoder")
        return list(self._pool.map(run, items))

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts`, in order; in torch from batches of similar *token* length.

        sentence-transformers sorts by characters, which pads batches more: grouping by token
        count cuts the encoder's time by about a quarter.  Each batch is still one `encode`
        call, so tokenisation, pooling and normalisation are the library's own (fp32 vectors
        equal its whole-list `encode` to ~1e-7)."""
        if self._onnx is not None:  # unpadded and alone: the same vector whatever the neighbours
            token_ids = [encoded.ids for encoded in self._tokens.encode(texts)]
            return np.concatenate(self._map(self._onnx_one, token_ids)).astype(np.float32, copy=False)
        import torch

        assert self.model is not None
        token_ids = self.model.tokenizer(texts, truncation=True, max_length=self.max_seq_length)["input_ids"]
        lengths = [len(ids) for ids in token_ids]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                out[rows] = self.model.encode(
                    [texts[i] for i in rows],
                    batch_size=len(rows),
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        return out
