"""GoEmotions figures: 28-label, Ekman-group and sentiment-group macro-F1, per-label P/R/F1,
the sentiment head against VADER."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eval.common import per_label_table, require_file, single_label_report, vader_sentiment
from models.classifier import EmotionClassifier
from models.data import read_goemotions
from models.labels import EKMAN_GROUPS, GOEMOTIONS_LABELS, SENTIMENT_GROUPS, SENTIMENT_LABELS, sentiment_target
from models.thresholds import per_label_prf, tune_thresholds

FOCUS_LABELS = ("annoyance", "disappointment", "confusion", "anger", "nervousness")


def group_matrix(multi_hot: np.ndarray, groups: dict[str, tuple[str, ...]]) -> np.ndarray:
    """A text is in a group when any of the group's labels is on (as in the GoEmotions paper)."""
    columns = [[GOEMOTIONS_LABELS.index(label) for label in members] for members in groups.values()]
    return np.stack([multi_hot[:, cols].any(1) for cols in columns], axis=1)


def cross_fitted_macro_f1(truth: np.ndarray, probs: np.ndarray, seed: int = 0) -> float:
    """Tune thresholds on one random half, score the other, and average both ways: the
    figure to expect on unseen data, without the optimism of tuning and scoring on dev."""
    order = np.random.default_rng(seed).permutation(len(truth))
    halves = (order[: len(order) // 2], order[len(order) // 2 :])
    scores = []
    for tune_rows, score_rows in (halves, halves[::-1]):
        thresholds = tune_thresholds(truth[tune_rows], probs[tune_rows])
        scores.append(per_label_prf(truth[score_rows], probs[score_rows] >= thresholds)[2].mean())
    return float(np.mean(scores))


def _prf_table(names: tuple[str, ...] | list[str], truth: np.ndarray, predicted: np.ndarray) -> dict:
    precision, recall, f1 = per_label_prf(truth, predicted)
    table = per_label_table(names, precision, recall, f1, truth.sum(0))
    return {"macro_f1": round(float(f1.mean()), 4), "per_label": table}


def evaluate_goemotions(classifier: EmotionClassifier, path: Path) -> dict:
    data = read_goemotions(require_file(path, "GoEmotions split"))
    predictions = classifier.predict(data.texts)
    probs = np.array([[p.emotions[label] for label in GOEMOTIONS_LABELS] for p in predictions])
    predicted = probs >= classifier.thresholds
    truth = data.labels.astype(bool)
    emotions = _prf_table(GOEMOTIONS_LABELS, truth, predicted)
    gold_sentiment = [sentiment_target(data.label_names(i)) for i in range(len(data.texts))]
    return {
        "dataset": str(path),
        "n": len(data.texts),
        "model": {"backend": classifier.backend, "trained": classifier.meta.training.get("train_file")},
        "emotions_28": {
            **emotions,
            "macro_f1_at_0.5": round(float(per_label_prf(truth, probs >= 0.5)[2].mean()), 4),
            "macro_f1_cross_fitted_thresholds": round(cross_fitted_macro_f1(truth, probs), 4),
            "focus_labels_f1": {k: emotions["per_label"][k]["f1"] for k in FOCUS_LABELS},
            "thresholds": "the artifact's per-label thresholds for this back end (chosen on GoEmotions dev)"
            if classifier.backend in classifier.meta.backend_thresholds
            else "the artifact's fp32 per-label thresholds (chosen on GoEmotions dev at training)",
        },
        "ekman_groups": _prf_table(
            list(EKMAN_GROUPS), group_matrix(truth, EKMAN_GROUPS), group_matrix(predicted, EKMAN_GROUPS)
        ),
        "sentiment_groups": _prf_table(
            list(SENTIMENT_GROUPS), group_matrix(truth, SENTIMENT_GROUPS), group_matrix(predicted, SENTIMENT_GROUPS)
        ),
        "sentiment_3way": {
            "gold": "majority polarity of the gold labels (models/labels.py: sentiment_target)",
            "model_head": single_label_report(
                gold_sentiment, [p.sentiment.label for p in predictions], SENTIMENT_LABELS
            ),
            "vader": single_label_report(gold_sentiment, vader_sentiment(data.texts), SENTIMENT_LABELS),
        },
    }
