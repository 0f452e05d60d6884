"""`EmotionClassifier`: the model loaded once, `predict(list[str])` for everyone.

Batches are length-sorted (see `run_network`), inference runs under `torch.inference_mode`
with a fixed thread count, and a bounded LRU cache answers texts seen before: agents send
the same greetings and macros all day.
"""

from __future__ import annotations

import importlib.util
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from cachetools import LRUCache
from torch import nn
from transformers import PreTrainedTokenizerBase

from models.artifact import DEFAULT_ARTIFACT, WEIGHTS_FILE, ArtifactMeta, load_artifact
from models.inference import run_network, torch_forward
from models.network import EmotionNetwork

Backend = Literal["fp32", "int8", "onnx-int8"]
BACKENDS: tuple[str, ...] = ("fp32", "int8", "onnx-int8")
BACKEND_CHOICES: tuple[str, ...] = ("auto", *BACKENDS)  # what users may ask for


def onnx_available() -> bool:
    """Whether the optional ONNX Runtime back end can run (the `[onnx]` extra is installed)."""
    return importlib.util.find_spec("onnxruntime") is not None


def resolve_backend(backend: str) -> Backend:
    """ "auto": ONNX Runtime int8 where onnxruntime is installed (as fast as it gets here, and with
    its own dev-tuned thresholds no less accurate than fp32), else fp32."""
    if backend != "auto":
        return backend  # type: ignore[return-value]
    return "onnx-int8" if onnx_available() else "fp32"


@dataclass(frozen=True)
class Scored:
    """A single-label decision with the distribution it came from."""

    label: str
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "scores": self.scores}


@dataclass(frozen=True)
class EmotionPrediction:
    """The model's reading of one text."""

    text: str
    emotions: dict[str, float]
    labels: list[str]
    sentiment: Scored
    customer_state: Scored
    embedding: np.ndarray = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `coach classify` (the embedding stays in memory)."""
        return {
            "text": self.text,
            "emotions": self.emotions,
            "labels": self.labels,
            "sentiment": self.sentiment.to_dict(),
            "customer_state": self.customer_state.to_dict(),
        }


def quantize_int8(network: nn.Module) -> nn.Module:
    """Dynamic int8 quantisation of every Linear layer (weights int8, activations on the fly)."""
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao but still the lightest
        # CPU int8 path that needs no extra dependency.
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(network, {nn.Linear}, dtype=torch.qint8)


def _scored(labels: Sequence[str], probs: np.ndarray) -> Scored:
    scores = {label: round(float(p), 4) for label, p in zip(labels, probs, strict=True)}
    return Scored(label=labels[int(probs.argmax())], scores=scores)


class EmotionClassifier:
    """Thread-safe wrapper around the network, its tokenizer and its thresholds."""

    def __init__(
        self,
        network: EmotionNetwork,
        tokenizer: PreTrainedTokenizerBase,
        meta: ArtifactMeta,
        *,
        backend: Backend = "fp32",
        batch_size: int = 64,
        threads: int | None = None,
        cache_size: int = 4096,
        weights: Path | None = None,
    ) -> None:
        if threads is not None:
            torch.set_num_threads(threads)
        self.meta = meta
        self.backend = backend
        self.batch_size = batch_size
        self.tokenizer = tokenizer
        network.eval()
        if backend == "onnx-int8":
            from models.onnx_backend import export_int8, onnx_forward

            if weights is None:
                raise ValueError("the onnx-int8 back end needs the artifact's weights file to export from")
            self.forward = onnx_forward(export_int8(network, weights), threads)
        elif backend in ("fp32", "int8"):
            self.forward = torch_forward(quantize_int8(network) if backend == "int8" else network)
        else:
            raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
        self.thresholds = np.asarray(meta.thresholds_for(backend), dtype=np.float32)
        self._cache: LRUCache[str, EmotionPrediction] = LRUCache(maxsize=cache_size) if cache_size else None  # type: ignore[assignment]
        self._lock = threading.Lock()  # torch intra-op threads are the parallelism; one call at a time

    @classmethod
    def load(cls, path: Path = DEFAULT_ARTIFACT, **options: Any) -> EmotionClassifier:
        network, tokenizer, meta = load_artifact(path)
        return cls(network, tokenizer, meta, weights=path / WEIGHTS_FILE, **options)

    def predict(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> list[EmotionPrediction]:
        """Predictions for `texts`, in input order; cached texts skip the model."""
        results: list[EmotionPrediction | None] = [None] * len(texts)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text) if self._cache is not None else None
                if hit is not None:
                    results[i] = hit
                else:
                    missing.setdefault(text, []).append(i)
            if progress is not None and len(texts) > len(missing):
                progress(sum(r is not None for r in results))
            if missing:
                unique = list(missing)
                outputs = run_network(
                    self.forward,
                    self.tokenizer,
                    unique,
                    batch_size=self.batch_size,
                    max_length=self.meta.max_length,
                    progress=progress,
                )
                for row, text in enumerate(unique):
                    prediction = self._prediction(
                        text, outputs.emotions[row], outputs.sentiment[row], outputs.state[row], outputs.embeddings[row]
                    )
                    if self._cache is not None:
                        self._cache[text] = prediction
                    for i in missing[text]:
                        results[i] = prediction
        return results  # type: ignore[return-value]

    def _prediction(
        self, text: str, emotions: np.ndarray, sentiment: np.ndarray, state: np.ndarray, embedding: np.ndarray
    ) -> EmotionPrediction:
        labels = self.meta.emotion_labels
        return EmotionPrediction(
            text=text,
            emotions={label: round(float(p), 4) for label, p in zip(labels, emotions, strict=True)},
            labels=[label for label, p, t in zip(labels, emotions, self.thresholds, strict=True) if p >= t],
            sentiment=_scored(self.meta.sentiment_labels, sentiment),
            customer_state=_scored(self.meta.state_labels, state),
            embedding=embedding,
        )

    def clear_cache(self) -> None:
        if self._cache is not None:
            with self._lock:
                self._cache.clear()
