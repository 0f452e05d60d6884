"""Figures on the team's support turns: customer-state macro-F1 and upset P/R/F1 (the training
loop picks its epoch by them; `coach eval support` prints them for dev and test)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from models.calibration import precision_recall, turn_outputs
from models.inference import Forward, sigmoid
from models.labels import CUSTOMER_STATES
from models.support_data import LabelledTurn
from models.tokenizer import TextTokenizer


def state_macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the seven states (a state absent from gold and never predicted is left out)."""
    labels = [s for s in CUSTOMER_STATES if s in set(gold) | set(predicted)]
    return float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))


def support_figures(
    forward: Forward, tokens: TextTokenizer, turns: Sequence[LabelledTurn], *, context: bool
) -> dict[str, Any]:
    """State macro-F1 and upset F1 at 0.5 of the raw head (before calibration), and its AUC."""
    outputs = turn_outputs(forward, tokens, turns, context=context)
    predicted = [CUSTOMER_STATES[i] for i in outputs.state.argmax(1)]
    gold = [t.state for t in turns]
    truth = np.array([t.upset for t in turns])
    probs = sigmoid(outputs.upset_logits)
    precision, recall, f1 = precision_recall(probs >= 0.5, truth)
    return {
        "turns": len(turns),
        "state_macro_f1": round(state_macro_f1(gold, predicted), 4),
        "state_accuracy": round(float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)])), 4),
        "upset_precision": round(precision, 4),
        "upset_recall": round(recall, 4),
        "upset_f1": round(f1, 4),
        "upset_auc": round(float(roc_auc_score(truth, probs)), 4) if 0 < truth.sum() < len(truth) else None,
    }
