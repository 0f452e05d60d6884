import json
from pathlib import Path

import numpy as np
import pytest

from models import classifier as classifier_module
from models.artifact import load_artifact, save_artifact
from models.classifier import EmotionClassifier
from models.labels import CUSTOMER_STATES, GOEMOTIONS_LABELS, SENTIMENT_LABELS

TEXTS = [
    "ok",
    "I have been waiting for three weeks and nobody has called me back about the refund.",
    "Why was I charged twice?",
    "ok",
    "Thanks!",
]


def test_prediction_shape_and_thresholds(tiny_classifier: EmotionClassifier):
    predictions = tiny_classifier.predict(TEXTS)
    assert [p.text for p in predictions] == TEXTS
    for p in predictions:
        assert list(p.emotions) == list(GOEMOTIONS_LABELS)
        assert p.labels == [label for label in GOEMOTIONS_LABELS if p.emotions[label] >= 0.5]
        assert p.sentiment.label in SENTIMENT_LABELS and p.customer_state.label in CUSTOMER_STATES
        assert p.sentiment.label == max(p.sentiment.scores, key=p.sentiment.scores.get)
        assert sum(p.customer_state.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert any(p.labels for p in predictions)


def test_batching_and_length_sorting_do_not_change_results(tiny_classifier: EmotionClassifier):
    together = tiny_classifier.predict(TEXTS)
    alone = [tiny_classifier.predict([t])[0] for t in TEXTS]
    for a, b in zip(together, alone, strict=True):
        assert np.allclose(list(a.emotions.values()), list(b.emotions.values()), atol=1e-3)
        assert np.allclose(a.embedding, b.embedding, atol=1e-4)


def test_empty_input(tiny_classifier: EmotionClassifier):
    assert tiny_classifier.predict([]) == []


def test_cache_answers_repeated_texts_without_the_model(tiny_artifact: Path, monkeypatch: pytest.MonkeyPatch):
    classifier = EmotionClassifier.load(tiny_artifact, cache_size=2)
    calls: list[list[str]] = []
    real = classifier_module.run_network

    def spy(forward, tokenizer, texts, **kwargs):
        calls.append(list(texts))
        return real(forward, tokenizer, texts, **kwargs)

    monkeypatch.setattr(classifier_module, "run_network", spy)
    first = classifier.predict(["a", "b", "a"])
    assert calls == [["a", "b"]]  # duplicates inside a call run once
    second = classifier.predict(["b", "c"])
    assert calls[-1] == ["c"]
    assert second[0] is first[1]
    classifier.predict(["a"])  # evicted: the cache holds 2 entries (b, c)
    assert calls[-1] == ["a"]


def test_int8_backend_stays_close_to_fp32(tiny_artifact: Path):
    fp32 = EmotionClassifier.load(tiny_artifact, cache_size=0).predict(TEXTS)
    int8 = EmotionClassifier.load(tiny_artifact, backend="int8", cache_size=0).predict(TEXTS)
    diff = max(abs(a.emotions[k] - b.emotions[k]) for a, b in zip(fp32, int8, strict=True) for k in GOEMOTIONS_LABELS)
    assert diff < 0.1


def test_artifact_round_trip_is_fp16_exact(tiny_artifact: Path, tmp_path: Path):
    network, tokenizer, meta = load_artifact(tiny_artifact)
    copy = save_artifact(network, tokenizer, meta, tmp_path / "copy")
    a = EmotionClassifier.load(tiny_artifact, cache_size=0).predict(TEXTS)
    b = EmotionClassifier.load(copy, cache_size=0).predict(TEXTS)
    assert [x.emotions for x in a] == [y.emotions for y in b]


def test_missing_artifact_says_how_to_get_one(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="coach train"):
        load_artifact(tmp_path)


def test_artifact_with_wrong_threshold_count_is_refused(tiny_artifact: Path):
    _network, _tokenizer, meta = load_artifact(tiny_artifact)
    meta.thresholds = meta.thresholds[:3]
    with pytest.raises(ValueError, match="thresholds"):
        meta.validate()


def test_onnx_int8_backend_matches_torch_and_caches_the_export(tiny_artifact: Path, tmp_path: Path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("COACHLINE_CACHE", str(tmp_path))
    fp32 = EmotionClassifier.load(tiny_artifact, cache_size=0).predict(TEXTS)
    onnx = EmotionClassifier.load(tiny_artifact, backend="onnx-int8", cache_size=0).predict(TEXTS)
    diff = max(abs(a.emotions[k] - b.emotions[k]) for a, b in zip(fp32, onnx, strict=True) for k in GOEMOTIONS_LABELS)
    assert diff < 0.1
    exported = list(tmp_path.glob("*.onnx"))
    assert len(exported) == 1
    EmotionClassifier.load(tiny_artifact, backend="onnx-int8", cache_size=0)
    assert list(tmp_path.glob("*.onnx")) == exported  # reused, not exported again


def test_onnx_int8_reads_a_text_the_same_whatever_its_batch_mates(tiny_artifact: Path, tmp_path: Path, monkeypatch):
    """int8 activations are scaled once per run: each text runs alone, so its reading is its own
    (live micro-batches, `coach annotate` and QA then agree), whatever batch size is asked for."""
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("COACHLINE_CACHE", str(tmp_path))
    classifier = EmotionClassifier.load(tiny_artifact, backend="onnx-int8", cache_size=0, batch_size=64)
    alone = classifier.predict(["still no refund"])[0]
    long_mate = "my order arrived broken and " * 12
    among = classifier.predict([long_mate, "still no refund", "ok", "THIS IS A JOKE!!!"])[1]
    assert classifier.batch_size == 1
    assert alone.emotions == among.emotions and alone.upset == among.upset


def test_unknown_backend_is_refused(tiny_artifact: Path):
    with pytest.raises(ValueError, match="choose one of"):
        EmotionClassifier.load(tiny_artifact, backend="gpu")  # type: ignore[arg-type]


def test_serving_path_imports_neither_torch_nor_transformers_once_exported(tiny_artifact: Path, tmp_path: Path):
    """`coach classify` on ONNX, with the export cached: tokenizers and onnxruntime only (start-up)."""
    import os
    import subprocess
    import sys

    pytest.importorskip("onnxruntime")
    env = {**os.environ, "COACHLINE_CACHE": str(tmp_path / "cache")}
    texts = tmp_path / "texts.txt"
    texts.write_text("where is my refund\n", encoding="utf-8")
    run = [sys.executable, "-m", "app.cli", "classify", "--backend", "onnx-int8", "--model", str(tiny_artifact)]
    first = subprocess.run([*run, str(texts)], env=env, capture_output=True, text=True, check=True)  # exports
    probe = (
        "import sys, app.cli; app.cli.main(sys.argv[1:]); "
        "print([m for m in ('torch', 'transformers') if m in sys.modules], file=sys.stderr)"
    )
    second = subprocess.run(
        [sys.executable, "-c", probe, *run[3:], str(texts)], env=env, capture_output=True, text=True, check=True
    )
    assert second.stderr.strip().splitlines()[-1] == "[]"
    assert json.loads(second.stdout) == json.loads(first.stdout)  # the same reading, with or without torch
    assert set(json.loads(second.stdout)["upset"]) == {"probability", "upset", "threshold"}


def test_batches_run_side_by_side_give_the_same_readings(tiny_classifier: EmotionClassifier):
    from concurrent.futures import ThreadPoolExecutor

    from models.inference import run_network

    texts = [f"order {i} is late, this is the {i}th time" * (1 + i % 3) for i in range(37)]
    alone = run_network(tiny_classifier.forward, tiny_classifier.tokenizer, texts, batch_size=8)
    with ThreadPoolExecutor(2) as pool:
        side = run_network(
            tiny_classifier.forward, tiny_classifier.tokenizer, texts, batch_size=8, pool=pool, workers=2
        )
    np.testing.assert_allclose(side.emotions, alone.emotions, atol=1e-5)
    np.testing.assert_allclose(side.upset_logits, alone.upset_logits, atol=1e-5)
