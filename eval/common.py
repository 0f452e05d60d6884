"""Shared pieces of the evaluations: missing-data signal, VADER peer, single-label reports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


class DatasetMissing(Exception):
    """The evaluation data is not on this machine; the caller skips with this message."""


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise DatasetMissing(f"{what} not found at {path}; pass its path on the command line")
    return path


def per_label_table(
    labels: Sequence[str],
    precision: Sequence[float],
    recall: Sequence[float],
    f1: Sequence[float],
    support: Sequence[int],
) -> dict:
    """{label: {precision, recall, f1, support}}, rounded to 4 places: every report's table."""
    return {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def single_label_report(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict:
    """Macro-F1 over `labels`, per-label P/R/F1/support, accuracy and a confusion matrix."""
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=list(labels), average=None, zero_division=0
    )
    matrix = confusion_matrix(truth, predicted, labels=list(labels))
    return {
        "macro_f1": round(float(np.mean(f1)), 4),
        "accuracy": round(float(np.mean([t == p for t, p in zip(truth, predicted, strict=True)])), 4),
        "n": len(truth),
        "per_label": per_label_table(labels, precision, recall, f1, support),
        "confusion_matrix": {"rows_truth_cols_predicted": list(labels), "matrix": matrix.tolist()},
    }


def vader_sentiment(texts: Sequence[str]) -> list[str]:
    """VADER's polarity with its authors' cut-offs (compound >= 0.05 positive, <= -0.05 negative)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    out = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        out.append("positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral")
    return out


VADER_STATE = {"positive": "satisfied", "neutral": "neutral", "negative": "frustration"}


def vader_states(texts: Sequence[str]) -> list[str]:
    """VADER as a state reader: positive -> satisfied, negative -> frustration (the commonest upset
    state), else neutral. The baseline any state model must beat."""
    return [VADER_STATE[s] for s in vader_sentiment(texts)]


def upset_report(truth: Sequence[bool], predicted: Sequence[bool]) -> dict:
    """Upset P/R/F1 and upset-or-not macro-F1 (the mean of both classes' F1)."""
    report = single_label_report(
        ["upset" if t else "calm" for t in truth], ["upset" if p else "calm" for p in predicted], ["upset", "calm"]
    )
    return {**report["per_label"]["upset"], "upset_or_not_macro_f1": report["macro_f1"], "n": report["n"]}
