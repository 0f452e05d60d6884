"""The sentence encoder's own batching and cache (the `engine` fixture's MiniLM encoder)."""

import numpy as np
from cachetools import LRUCache

TEXTS = [
    "Thanks!",
    "I've refunded the second charge; you'll see it within 3 days, and I've noted it on your account.",
    "ok",
    "Why was I charged twice for order 5521?",
    "Please restart the app and log in again.",
]


def test_token_length_batches_give_the_library_vectors_in_input_order(engine):
    encoder = engine.encoder
    reference = encoder.model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    np.testing.assert_allclose(encoder._embed(TEXTS), reference, atol=1e-5)


def test_a_call_larger_than_the_cache_still_answers_every_row(engine, monkeypatch):
    encoder = engine.encoder
    expected = dict(zip(TEXTS, encoder._embed(TEXTS), strict=True))
    monkeypatch.setattr(encoder, "_cache", LRUCache(maxsize=2))
    encoder.encode(TEXTS[:1])  # a hit the next call's new vectors would evict from the LRU
    texts = [TEXTS[0], *TEXTS[1:], TEXTS[1], TEXTS[0]]
    np.testing.assert_allclose(encoder.encode(texts), np.stack([expected[t] for t in texts]), atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dimension)
