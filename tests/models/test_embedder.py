"""The sentence encoder's own batching and cache (the `engine` fixture's MiniLM encoder)."""

import numpy as np
import pytest
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
    if encoder._onnx is not None:
        pytest.skip("the torch path batches; ONNX Runtime runs one sentence at a time (test below)")
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


def test_onnx_runtime_encoder_is_close_to_the_library_and_batch_independent(engine, tmp_path, monkeypatch):
    """The service's default back end runs the sentence encoder in ONNX Runtime, int8, one
    sentence per run: a sentence's vector must not depend on the call it came in, and must
    stay close to the library's fp32 vector."""
    if engine.encoder._onnx is not None:
        pytest.skip("runs once, against the fp32 engine's encoder")
    pytest.importorskip("onnxruntime")
    from models.embedder import SentenceEncoder

    monkeypatch.setenv("COACHLINE_CACHE", str(tmp_path))
    onnx = SentenceEncoder(backend="onnx-int8", cache_size=1)
    assert onnx._onnx is not None and list(tmp_path.glob("sentence-encoder-*-int8.onnx"))
    cached = SentenceEncoder(backend="onnx-int8", cache_size=1)  # export found: tokenizer only, no torch model
    assert cached.model is None and cached.dimension == engine.encoder.dimension
    reference_ids = engine.encoder.model.tokenizer(TEXTS, truncation=True, max_length=engine.encoder.max_seq_length)
    # The `tokenizers` library alone (no transformers) gives the library tokenizer's ids.
    assert [e.ids for e in cached._tokens.encode(TEXTS)] == reference_ids["input_ids"]
    np.testing.assert_array_equal(cached.encode(TEXTS), onnx.encode(TEXTS))
    together = onnx.encode(TEXTS)
    alone = np.stack([onnx.encode([text])[0] for text in reversed(TEXTS)])[::-1]
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    reference = engine.encoder.model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    assert ((together * reference).sum(1) > 0.95).all()
    pairs = np.abs(together @ together.T - reference @ reference.T)
    assert pairs.max() < 0.1
