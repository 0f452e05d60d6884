import random
from pathlib import Path

import numpy as np
import pytest

from models.classifier import EmotionClassifier
from models.train import TrainConfig, class_weights, length_grouped_batches, train
from tests.conftest import FIXTURES


def test_length_grouped_batches_cover_every_row_once():
    lengths = [random.Random(1).randint(3, 60) for _ in range(1000)]
    batches = length_grouped_batches(lengths, 32, random.Random(0))
    rows = [i for b in batches for i in b]
    assert sorted(rows) == list(range(1000))
    assert all(len(b) <= 32 for b in batches)
    # Sorting within windows keeps padding low: most batches span a narrow length range.
    spans = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    assert np.median(spans) <= 3


def test_class_weights_favour_rare_classes():
    weights = class_weights(np.array([0] * 90 + [1] * 10), 3)
    assert weights[1] > weights[0] and weights[2] > weights[1]
    assert float(weights.mean()) == 1.0 or abs(float(weights.mean()) - 1.0) < 1e-6


SUPPORT = FIXTURES / "support_chats"


def test_training_writes_a_loadable_seeded_artifact(tmp_path: Path):
    sample = FIXTURES / "goemotions_sample.tsv"
    config = TrainConfig(epochs=1, batch_size=4, limit=8, max_length=24, tune_quantised=False, support_repeat=2)
    out = train(sample, sample, tmp_path / "a", config, support_dir=SUPPORT)
    again = train(sample, sample, tmp_path / "b", config, support_dir=SUPPORT)
    a = EmotionClassifier.load(out, cache_size=0)
    b = EmotionClassifier.load(again, cache_size=0)
    assert len(a.meta.thresholds) == 28
    training = a.meta.training
    assert training["goemotions_rows"] == 8 and training["support_train_turns"] == 4
    assert training["history"][0]["epoch"] == 1 and "support_dev" in training["history"][0]
    # The upset head is calibrated on the support dev split and used from then on.
    assert a.meta.upset["source"] == "head" and a.meta.upset["temperature"] > 0
    assert a.meta.upset["figures"]["fitted_on"].startswith("support dev split, 3 ")
    text = ["I'm still waiting for my refund."]
    assert a.predict(text)[0].emotions == b.predict(text)[0].emotions  # same seed, same weights
    upset = a.predict(text)[0].upset
    assert upset.threshold == a.meta.upset["threshold"] and upset.upset == (upset.probability >= upset.threshold)


def test_a_context_model_reads_the_agent_turn_before(tmp_path: Path):
    sample = FIXTURES / "goemotions_sample.tsv"
    config = TrainConfig(epochs=1, batch_size=4, limit=8, context=True, context_max_length=48, tune_quantised=False)
    model = EmotionClassifier.load(train(sample, sample, tmp_path / "c", config, support_dir=SUPPORT), cache_size=0)
    assert model.meta.context and model.meta.max_length == 48
    alone, after_refusal = model.predict(["fine."] * 2, contexts=[None, "We can't refund that, it's policy."])
    assert alone.upset.probability != after_refusal.upset.probability


def test_a_quantised_backend_gets_its_own_dev_thresholds(tiny_artifact: Path, tmp_path: Path):
    import shutil

    from models.train import tune_backend_thresholds

    artifact = Path(shutil.copytree(tiny_artifact, tmp_path / "artifact"))
    figures = tune_backend_thresholds(artifact, "int8", FIXTURES / "goemotions_sample.tsv")
    assert 0 <= figures["dev_macro_f1_with_fp32_thresholds"] <= figures["dev_macro_f1_tuned"] <= 1
    int8 = EmotionClassifier.load(artifact, backend="int8", cache_size=0)
    fp32 = EmotionClassifier.load(artifact, cache_size=0)
    assert list(int8.thresholds) == pytest.approx(int8.meta.backend_thresholds["int8"])
    assert list(fp32.thresholds) == pytest.approx(fp32.meta.thresholds)  # fp32 keeps the training thresholds
    assert int8.meta.metrics["backends"]["int8"] == figures
