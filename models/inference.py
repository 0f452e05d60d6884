"""Batched forward passes: sort by length to cut padding, run under inference_mode."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class NetworkOutputs:
    """Per-text probabilities (rows in input order) and pooled embeddings."""

    emotions: np.ndarray  # (n, 28) sigmoid
    sentiment: np.ndarray  # (n, 3) softmax
    state: np.ndarray  # (n, 7) softmax
    embeddings: np.ndarray  # (n, hidden) mean-pooled, not normalised


def run_network(
    network: nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    max_length: int = 64,
    progress: Callable[[int], None] | None = None,
) -> NetworkOutputs:
    """Forward `texts` in length-sorted batches; `progress(n)` is called after each batch."""
    n = len(texts)
    hidden = network.encoder.config.hidden_size
    out = NetworkOutputs(
        emotions=np.zeros((n, network.emotion_head.out_features), dtype=np.float32),
        sentiment=np.zeros((n, network.sentiment_head.out_features), dtype=np.float32),
        state=np.zeros((n, network.state_head.out_features), dtype=np.float32),
        embeddings=np.zeros((n, hidden), dtype=np.float32),
    )
    if n == 0:
        return out
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(n), key=lambda i: len(encoded[i]))
    pad_id = tokenizer.pad_token_id or 0
    was_training = network.training
    network.eval()
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encoded[i]) for i in rows)
            ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                ids[r, : len(encoded[i])] = torch.tensor(encoded[i])
                mask[r, : len(encoded[i])] = 1
            emotion_logits, sentiment_logits, state_logits, pooled = network(ids, mask)
            out.emotions[rows] = torch.sigmoid(emotion_logits).float().numpy()
            out.sentiment[rows] = torch.softmax(sentiment_logits, -1).float().numpy()
            out.state[rows] = torch.softmax(state_logits, -1).float().numpy()
            out.embeddings[rows] = pooled.float().numpy()
            if progress is not None:
                progress(len(rows))
    network.train(was_training)
    return out
