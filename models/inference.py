"""Batched forward passes: sort by length to cut padding, one forward per batch.

A *forward* maps (input_ids, attention_mask) int64 arrays to the network's four outputs
(emotion logits, sentiment logits, state logits, pooled embedding) as numpy arrays; the
torch and ONNX Runtime back ends both provide one, so batching lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

Forward = Callable[[np.ndarray, np.ndarray], Sequence[np.ndarray]]


@dataclass(frozen=True)
class NetworkOutputs:
    """Per-text probabilities (rows in input order) and pooled embeddings."""

    emotions: np.ndarray  # (n, 28) sigmoid
    sentiment: np.ndarray  # (n, 3) softmax
    state: np.ndarray  # (n, 7) softmax
    embeddings: np.ndarray  # (n, hidden) mean-pooled, not normalised


def torch_forward(network: nn.Module) -> Forward:
    """A forward over a torch module, under inference_mode (the caller sets eval mode)."""

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> list[np.ndarray]:
        with torch.inference_mode():
            outputs = network(torch.from_numpy(input_ids), torch.from_numpy(attention_mask))
        return [o.float().numpy() for o in outputs]

    return forward


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def run_network(
    forward: Forward,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    max_length: int = 64,
    progress: Callable[[int], None] | None = None,
) -> NetworkOutputs:
    """Forward `texts` in length-sorted batches; `progress(n)` is called after each batch."""
    n = len(texts)
    if n == 0:
        empty = np.zeros((0, 0), dtype=np.float32)
        return NetworkOutputs(empty, empty, empty, empty)
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(n), key=lambda i: len(encoded[i]))
    pad_id = tokenizer.pad_token_id or 0
    chunks: list[list[np.ndarray]] = []
    for start in range(0, n, batch_size):
        rows = order[start : start + batch_size]
        width = max(len(encoded[i]) for i in rows)
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            ids[r, : len(encoded[i])] = encoded[i]
            mask[r, : len(encoded[i])] = 1
        chunks.append(list(forward(ids, mask)))
        if progress is not None:
            progress(len(rows))
    inverse = np.argsort(np.asarray(order))  # sorted position of each input row
    emotion, sentiment, state, pooled = (np.concatenate([c[k] for c in chunks])[inverse] for k in range(4))
    return NetworkOutputs(
        emotions=(1.0 / (1.0 + np.exp(-emotion))).astype(np.float32),
        sentiment=_softmax(sentiment).astype(np.float32),
        state=_softmax(state).astype(np.float32),
        embeddings=pooled.astype(np.float32),
    )
