"""Calibrating the upset probability: temperature scaling of the upset head's logit on the
support dev split, a reliability table to show it, and the threshold chosen for recall at high
precision (a coach that calls a calm customer upset gets ignored)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from models.artifact import UpsetCalibration
from models.inference import Forward, NetworkOutputs, run_network, sigmoid
from models.support_data import LabelledTurn
from models.tokenizer import TextTokenizer

TARGET_PRECISION = 0.90
TEMPERATURES = np.exp(np.linspace(np.log(0.2), np.log(5.0), 241))
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.01), 2)


def negative_log_likelihood(logits: np.ndarray, truth: np.ndarray, temperature: float) -> float:
    probs = np.clip(sigmoid(logits / temperature), 1e-7, 1 - 1e-7)
    return float(-(truth * np.log(probs) + (1 - truth) * np.log(1 - probs)).mean())


def fit_temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The temperature with the least negative log-likelihood (a grid: one parameter, no optimiser)."""
    losses = [negative_log_likelihood(logits, truth, t) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def reliability_table(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width bins: how many turns, their mean predicted probability, how many were upset."""
    rows = []
    edges = np.linspace(0.0, 1.0, bins + 1)
    for low, high in itertools.pairwise(edges):
        inside = (probs >= low) & ((probs < high) if high < 1.0 else (probs <= high))
        if inside.any():
            rows.append(
                {
                    "bin": f"{low:.1f}-{high:.1f}",
                    "turns": int(inside.sum()),
                    "mean_predicted": round(float(probs[inside].mean()), 3),
                    "observed_upset": round(float(truth[inside].mean()), 3),
                }
            )
    return rows


def expected_calibration_error(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    table = reliability_table(probs, truth, bins)
    return round(sum(r["turns"] * abs(r["mean_predicted"] - r["observed_upset"]) for r in table) / len(probs), 4)


def precision_recall(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float((predicted & truth).sum())
    precision = tp / predicted.sum() if predicted.sum() else 0.0
    recall = tp / truth.sum() if truth.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def choose_threshold(probs: np.ndarray, truth: np.ndarray, precision_floor: float = TARGET_PRECISION) -> float:
    """The threshold with the best recall among those at `precision_floor` or above; where none
    reaches it, the one with the best F1."""
    truth_bool = truth.astype(bool)
    scored = [(t, *precision_recall(probs >= t, truth_bool)) for t in THRESHOLDS]
    sure = [(recall, t) for t, precision, recall, _ in scored if precision >= precision_floor and recall > 0]
    if sure:
        best_recall = max(recall for recall, _ in sure)
        return float(min(t for recall, t in sure if recall == best_recall))
    return float(max(scored, key=lambda row: (row[3], -row[0]))[0])


def turn_outputs(
    forward: Forward, tokens: TextTokenizer, turns: Sequence[LabelledTurn], *, context: bool
) -> NetworkOutputs:
    """The network's outputs for labelled support turns (with the agent turn before each when the
    network reads pairs)."""
    return run_network(
        forward,
        tokens,
        [t.text for t in turns],
        contexts=[t.previous for t in turns] if context else None,
        batch_size=128,
    )


def calibrate_upset(
    forward: Forward, tokens: TextTokenizer, dev: Sequence[LabelledTurn], *, context: bool
) -> UpsetCalibration:
    """Temperature and threshold for the upset head, fitted on the support dev turns."""
    logits = turn_outputs(forward, tokens, dev, context=context).upset_logits
    truth = np.array([t.upset for t in dev], dtype=np.float64)
    temperature = fit_temperature(logits, truth)
    raw = sigmoid(logits)
    calibrated = sigmoid(logits / temperature)
    threshold = choose_threshold(calibrated, truth)
    precision, recall, f1 = precision_recall(calibrated >= threshold, truth.astype(bool))
    figures = {
        "fitted_on": f"support dev split, {len(dev)} customer turns",
        "nll_before": round(negative_log_likelihood(logits, truth, 1.0), 4),
        "nll_after": round(negative_log_likelihood(logits, truth, temperature), 4),
        "ece_before": expected_calibration_error(raw, truth),
        "ece_after": expected_calibration_error(calibrated, truth),
        "reliability_after": reliability_table(calibrated, truth),
        "dev_at_threshold": {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)},
    }
    return UpsetCalibration(temperature=round(temperature, 4), threshold=threshold, source="head", figures=figures)
