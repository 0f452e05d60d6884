import numpy as np

from models.calibration import (
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
    precision_recall,
    reliability_table,
)
from models.inference import sigmoid


def _overconfident(n: int = 4000, temperature: float = 3.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits `temperature` times too large for outcomes drawn from the true probabilities."""
    rng = np.random.default_rng(seed)
    true_logits = rng.normal(0.0, 1.5, n)
    truth = (rng.random(n) < sigmoid(true_logits)).astype(float)
    return true_logits * temperature, truth


def test_temperature_undoes_overconfidence():
    logits, truth = _overconfident()
    temperature = fit_temperature(logits, truth)
    assert 2.5 < temperature < 3.6
    before = expected_calibration_error(sigmoid(logits), truth)
    after = expected_calibration_error(sigmoid(logits / temperature), truth)
    assert after < before / 2


def test_reliability_table_counts_every_turn_once():
    logits, truth = _overconfident(n=500)
    table = reliability_table(sigmoid(logits), truth)
    assert sum(row["turns"] for row in table) == 500
    assert all(0 <= row["observed_upset"] <= 1 for row in table)


def test_threshold_keeps_precision_and_takes_the_best_recall_there():
    probs = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2])
    truth = np.array([1, 1, 1, 0, 1, 0, 1, 0])
    threshold = choose_threshold(probs, truth, precision_floor=0.9)
    precision, recall, _ = precision_recall(probs >= threshold, truth.astype(bool))
    assert precision >= 0.9 and recall == 0.6  # 0.95, 0.9, 0.8: the 0.7 false alarm would break the floor
    assert threshold > 0.7


def test_without_a_threshold_at_the_floor_the_best_f1_wins():
    probs = np.array([0.9, 0.8, 0.7, 0.6])
    truth = np.array([0, 1, 0, 1])
    threshold = choose_threshold(probs, truth, precision_floor=0.99)
    assert threshold <= 0.6  # everything upset: F1 0.67 is the best on offer
