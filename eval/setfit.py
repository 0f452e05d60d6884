"""SetFit-style contrastive fine-tuning of the sentence encoder, for `coach eval moves --setfit`.

SetFit (Tunstall et al., 2022) fine-tunes the sentence encoder on pairs drawn from a few labelled
examples (same label: cosine 1, different: cosine 0), then fits a logistic head on the tuned
vectors. The `setfit` package needs `datasets` and `accelerate`, which nothing else here uses, so
this is the same recipe as a plain torch loop over sentence-transformers' modules: the comparison
only decides whether the shipped coach should carry a tuned encoder (it does not: see README).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import numpy as np


def contrastive_pairs(
    examples: Mapping[str, Sequence[str]], per_sentence: int, seed: int = 0
) -> list[tuple[str, str, float]]:
    """For every sentence, `per_sentence` partners of its own label and as many of others'."""
    rng = random.Random(seed)
    labels = [label for label, sentences in examples.items() if sentences]
    pairs: list[tuple[str, str, float]] = []
    for label in labels:
        own = list(examples[label])
        others = [s for other in labels if other != label for s in examples[other]]
        for sentence in own:
            for _ in range(per_sentence):
                pairs.append((sentence, rng.choice(own), 1.0))
                pairs.append((sentence, rng.choice(others), 0.0))
    rng.shuffle(pairs)
    return pairs


def contrastive_finetune(
    examples: Mapping[str, Sequence[str]],
    per_sentence: int = 4,
    epochs: int = 1,
    batch_size: int = 32,
    learning_rate: float = 2e-5,
    seed: int = 0,
):
    """A copy of the base MiniLM encoder tuned on contrastive pairs (cosine-similarity loss)."""
    import torch

    from models.embedder import _load_torch
    from models.network import base_encoder_path

    torch.manual_seed(seed)
    model = _load_torch(base_encoder_path())
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    pairs = contrastive_pairs(examples, per_sentence, seed)
    for _ in range(epochs):
        for start in range(0, len(pairs), batch_size):
            batch = pairs[start : start + batch_size]
            left = model(model.tokenize([a for a, _, _ in batch]))["sentence_embedding"]
            right = model(model.tokenize([b for _, b, _ in batch]))["sentence_embedding"]
            target = torch.tensor([y for _, _, y in batch], dtype=torch.float32)
            loss = torch.nn.functional.mse_loss(torch.nn.functional.cosine_similarity(left, right), target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    return model


def tuned_encoder(model):
    """`encode(texts) -> (n, d)` unit vectors from a tuned model."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        vectors = model.encode(list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    return encode
