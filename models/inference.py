"""Batched forward passes: sort by length to cut padding, one forward per batch.

A *forward* maps (input_ids, attention_mask, token_type_ids) int64 arrays to the network's five
outputs (emotion logits, sentiment logits, state logits, upset logit, pooled embedding) as numpy
arrays; the torch and ONNX Runtime back ends both provide one, so batching lives in one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from models.tokenizer import TextTokenizer

if TYPE_CHECKING:
    from torch import nn

Forward = Callable[[np.ndarray, np.ndarray, np.ndarray], Sequence[np.ndarray]]


@dataclass(frozen=True)
class NetworkOutputs:
    """Per-text probabilities (rows in input order), upset logits and pooled embeddings."""

    emotions: np.ndarray  # (n, 28) sigmoid
    sentiment: np.ndarray  # (n, 3) softmax
    state: np.ndarray  # (n, 7) softmax
    upset_logits: np.ndarray  # (n,) raw: the classifier applies the artifact's calibration
    embeddings: np.ndarray  # (n, hidden) mean-pooled, not normalised


def torch_forward(network: nn.Module) -> Forward:
    """A forward over a torch module, under inference_mode (the caller sets eval mode)."""
    import torch

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray) -> list[np.ndarray]:
        with torch.inference_mode():
            outputs = network(
                torch.from_numpy(input_ids), torch.from_numpy(attention_mask), torch.from_numpy(token_type_ids)
            )
        return [o.float().numpy() for o in outputs]

    return forward


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


def run_network(
    forward: Forward,
    tokenizer: TextTokenizer,
    texts: Sequence[str],
    *,
    contexts: Sequence[str | None] | None = None,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
    pool: Executor | None = None,
    workers: int = 1,
) -> NetworkOutputs:
    """Forward `texts` (with the previous turns in `contexts`, for a network that reads pairs) in
    length-sorted batches; `progress(n)` is called after each batch. With a `pool` of `workers`
    threads the batches run side by side (a thread-safe, one-core forward: two one-thread ONNX
    runs at once beat one two-thread run by a quarter on short texts); fewer texts than
    `workers` batches are split smaller so every worker gets some."""
    n = len(texts)
    if n == 0:
        empty = np.zeros((0, 0), dtype=np.float32)
        return NetworkOutputs(empty, empty, empty, np.zeros(0, dtype=np.float32), empty)
    encoded = tokenizer.encode(texts, contexts)
    order = sorted(range(n), key=lambda i: len(encoded[i].ids))
    if pool is not None and workers > 1:
        batch_size = max(1, min(batch_size, math.ceil(n / workers)))

    def run(rows: list[int]) -> list[np.ndarray]:
        width = max(len(encoded[i].ids) for i in rows)
        ids = np.full((len(rows), width), tokenizer.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        types = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            length = len(encoded[i].ids)
            ids[r, :length] = encoded[i].ids
            mask[r, :length] = 1
            types[r, :length] = encoded[i].type_ids
        return list(forward(ids, mask, types))

    batches = [order[start : start + batch_size] for start in range(0, n, batch_size)]
    chunks: list[list[np.ndarray]] = []
    for rows, outputs in zip(batches, (pool.map(run, batches) if pool is not None else map(run, batches)), strict=True):
        chunks.append(outputs)
        if progress is not None:
            progress(len(rows))
    inverse = np.argsort(np.asarray(order))  # sorted position of each input row
    emotion, sentiment, state, upset, pooled = (np.concatenate([c[k] for c in chunks])[inverse] for k in range(5))
    return NetworkOutputs(
        emotions=sigmoid(emotion).astype(np.float32),
        sentiment=softmax(sentiment).astype(np.float32),
        state=softmax(state).astype(np.float32),
        upset_logits=upset.astype(np.float32).reshape(-1),
        embeddings=pooled.astype(np.float32),
    )
