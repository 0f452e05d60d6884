import numpy as np

from models.thresholds import apply_thresholds, per_label_prf, tune_thresholds


def test_per_label_prf_counts():
    truth = np.array([[1, 0], [1, 1], [0, 1]])
    predicted = np.array([[1, 1], [0, 1], [0, 0]])
    precision, recall, f1 = per_label_prf(truth, predicted)
    assert np.allclose(precision, [1.0, 0.5])
    assert np.allclose(recall, [0.5, 0.5])
    assert np.allclose(f1, [2 / 3, 0.5])


def test_tune_thresholds_finds_the_separating_cut_per_label():
    truth = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    probs = np.array([[0.30, 0.1], [0.25, 0.2], [0.10, 0.9], [0.05, 0.8]])
    thresholds = tune_thresholds(truth, probs)
    assert 0.10 < thresholds[0] <= 0.25
    assert 0.20 < thresholds[1] <= 0.80
    assert (apply_thresholds(probs, thresholds) == truth.astype(bool)).all()
