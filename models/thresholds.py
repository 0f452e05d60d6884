"""Per-label decision thresholds, chosen by F1 on a labelled split."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

THRESHOLD_GRID = np.round(np.arange(0.02, 0.96, 0.01), 2)


def per_label_prf(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column precision, recall and F1 of two (n, k) 0/1 matrices (0 where undefined)."""
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth.astype(bool), predicted.astype(bool), average=None, zero_division=0
    )
    return precision, recall, f1


def tune_thresholds(truth: np.ndarray, probs: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> np.ndarray:
    """For each label, the grid threshold with the best F1 on (truth, probs)."""
    f1_by_threshold = np.stack([per_label_prf(truth, probs >= t)[2] for t in grid])  # (grid, k)
    return grid[f1_by_threshold.argmax(0)]


def apply_thresholds(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Multi-hot predictions: each label whose probability reaches its threshold."""
    return probs >= np.asarray(thresholds)
