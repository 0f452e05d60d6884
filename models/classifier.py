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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from cachetools import LRUCache

from models.artifact import DEFAULT_ARTIFACT, ArtifactMeta, read_meta, require_weights
from models.inference import Forward, run_network, sigmoid
from models.labels import UPSET_STATES
from models.tokenizer import TextTokenizer

if TYPE_CHECKING:  # torch loads only for the torch back ends and to export
    from torch import nn

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
class Upset:
    """Is this customer upset: a calibrated probability and the decision at the artifact's threshold."""

    probability: float
    upset: bool
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return {"probability": self.probability, "upset": self.upset, "threshold": self.threshold}


@dataclass(frozen=True)
class EmotionPrediction:
    """The model's reading of one text."""

    text: str
    emotions: dict[str, float]
    labels: list[str]
    sentiment: Scored
    customer_state: Scored
    upset: Upset
    embedding: np.ndarray = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `coach classify` (the embedding stays in memory)."""
        return {
            "text": self.text,
            "emotions": self.emotions,
            "labels": self.labels,
            "sentiment": self.sentiment.to_dict(),
            "customer_state": self.customer_state.to_dict(),
            "upset": self.upset.to_dict(),
        }


def quantize_int8(network: nn.Module) -> nn.Module:
    """Dynamic int8 quantisation of every Linear layer (weights int8, activations on the fly)."""
    import torch
    from torch import nn

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
    """Thread-safe wrapper around the network's forward, its tokenizer and its thresholds."""

    def __init__(
        self,
        forward: Forward,
        tokenizer: TextTokenizer,
        meta: ArtifactMeta,
        *,
        backend: Backend = "fp32",
        batch_size: int = 64,
        cache_size: int = 4096,
        workers: int = 1,
    ) -> None:
        """`workers` > 1: `forward` is thread-safe and one-core, and batches run side by side."""
        self.forward = forward
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="emotion-model") if workers > 1 else None
        self.meta = meta
        self.backend = backend
        self.batch_size = batch_size
        self.tokenizer = tokenizer
        self.thresholds = np.asarray(meta.thresholds_for(backend), dtype=np.float32)
        self.calibration = meta.upset_calibration()
        self._upset_columns = [meta.state_labels.index(s) for s in UPSET_STATES if s in meta.state_labels]
        self._cache: LRUCache[tuple[str | None, str], EmotionPrediction] | None = (
            LRUCache(maxsize=cache_size) if cache_size else None
        )
        self._lock = threading.Lock()  # the back end's intra-op threads are the parallelism; one call at a time

    @classmethod
    def load(
        cls, path: Path = DEFAULT_ARTIFACT, *, backend: str = "fp32", threads: int | None = None, **options: Any
    ) -> EmotionClassifier:
        """The artifact at `path` on `backend`. On "onnx-int8" with the export already cached this
        reads the tokenizer, coach.json and the ONNX file: no torch, no transformers."""
        weights = require_weights(path)
        meta = read_meta(path)
        tokenizer = TextTokenizer.from_file(path, meta.max_length)
        if backend == "onnx-int8":
            from models.onnx_backend import default_threads, emotion_model_file, export_int8, onnx_forward

            exported = emotion_model_file(weights)
            if not exported.is_file():
                from models.artifact import load_artifact

                export_int8(load_artifact(path)[0], weights)
            workers = threads or default_threads()
            forward = onnx_forward(exported, 1)  # one core per run, `workers` runs at once
            # Each text runs alone: int8 activations are quantised with one scale per run, so a text read
            # in a batch read differently with different batch-mates (6 of 526 MAIA-DQE turns changed
            # their upset decision between batches of 64 and single runs). Alone, a reading is the same
            # live, in `coach annotate` and in QA; and one-text runs side by side were faster here too
            # (444 against 248 texts/s on 2 cores).
            options["batch_size"] = 1
            return cls(forward, tokenizer, meta, backend=backend, workers=workers, **options)
        if backend not in ("fp32", "int8"):
            raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
        import torch

        from models.artifact import load_artifact
        from models.inference import torch_forward

        if threads is not None:
            torch.set_num_threads(threads)
        network = load_artifact(path)[0]
        module = quantize_int8(network) if backend == "int8" else network
        return cls(torch_forward(module), tokenizer, meta, backend=backend, **options)  # type: ignore[arg-type]

    def predict(
        self,
        texts: Sequence[str],
        *,
        contexts: Sequence[str | None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[EmotionPrediction]:
        """Predictions for `texts`, in input order; cached texts skip the model. `contexts`: the
        agent's turn before each text, read only by a network trained on pairs (`meta.context`)."""
        if contexts is not None and len(contexts) != len(texts):
            raise ValueError(f"{len(contexts)} contexts for {len(texts)} texts")
        keys = [
            (c if self.meta.context and contexts else None, t)
            for t, c in zip(texts, contexts or [None] * len(texts), strict=True)
        ]
        results: list[EmotionPrediction | None] = [None] * len(texts)
        missing: dict[tuple[str | None, str], list[int]] = {}
        with self._lock:
            for i, key in enumerate(keys):
                hit = self._cache.get(key) if self._cache is not None else None
                if hit is not None:
                    results[i] = hit
                else:
                    missing.setdefault(key, []).append(i)
            if progress is not None and len(texts) > len(missing):
                progress(sum(r is not None for r in results))
            if missing:
                unique = list(missing)
                outputs = run_network(
                    self.forward,
                    self.tokenizer,
                    [text for _, text in unique],
                    contexts=[context for context, _ in unique] if self.meta.context else None,
                    batch_size=self.batch_size,
                    progress=progress,
                    pool=self._pool,
                    workers=self.workers,
                )
                upset = self._upset_probabilities(outputs.upset_logits, outputs.state)
                for row, key in enumerate(unique):
                    prediction = self._prediction(
                        key[1],
                        outputs.emotions[row],
                        outputs.sentiment[row],
                        outputs.state[row],
                        float(upset[row]),
                        outputs.embeddings[row],
                    )
                    if self._cache is not None:
                        self._cache[key] = prediction
                    for i in missing[key]:
                        results[i] = prediction
        return results  # type: ignore[return-value]

    def _upset_probabilities(self, logits: np.ndarray, states: np.ndarray) -> np.ndarray:
        if self.calibration.source == "head":
            return sigmoid(logits / self.calibration.temperature)
        return states[:, self._upset_columns].sum(1)

    def _prediction(
        self,
        text: str,
        emotions: np.ndarray,
        sentiment: np.ndarray,
        state: np.ndarray,
        upset: float,
        embedding: np.ndarray,
    ) -> EmotionPrediction:
        labels = self.meta.emotion_labels
        threshold = self.calibration.threshold
        return EmotionPrediction(
            text=text,
            emotions={label: round(float(p), 4) for label, p in zip(labels, emotions, strict=True)},
            labels=[label for label, p, t in zip(labels, emotions, self.thresholds, strict=True) if p >= t],
            sentiment=_scored(self.meta.sentiment_labels, sentiment),
            customer_state=_scored(self.meta.state_labels, state),
            upset=Upset(probability=round(upset, 4), upset=upset >= threshold, threshold=threshold),
            embedding=embedding,
        )

    def clear_cache(self) -> None:
        if self._cache is not None:
            with self._lock:
                self._cache.clear()
