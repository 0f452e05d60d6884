"""`coach eval moves [PATH]`: the agent-move classifier on our own held-out agent sentences.

Trained on frameworks/moves/ (plus any `--frameworks` folder), tested on a separate file written
independently (eval/data/agent_moves_test.yaml). Printed: precision and recall per move (the
classifier's top move against the gold label), macro-F1, and two peers on the same split: the
nearest class centroid on the same vectors, and a 1-nearest-neighbour lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml
from sklearn.metrics import precision_recall_fscore_support

from app.coaching.frameworks import MoveExamples, load_library
from app.coaching.moves import OTHER, SentenceClassifier
from eval.common import per_label_table, require_file

DEFAULT_TEST = Path(__file__).resolve().parent / "data" / "agent_moves_test.yaml"


def _report(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict:
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=list(labels), zero_division=0)
    moves = [i for i, label in enumerate(labels) if label != OTHER]
    return {
        "macro_f1": round(float(np.mean(f[moves])), 4),
        "accuracy": round(float(np.mean([t == q for t, q in zip(truth, predicted, strict=True)])), 4),
        "per_move": per_label_table(labels, p, r, f, s),
    }


def evaluate_moves(
    path: Path = DEFAULT_TEST, backend: str = "fp32", frameworks: Sequence[str] = (), setfit: bool = False
) -> dict:
    from models.classifier import resolve_backend
    from models.embedder import SentenceEncoder

    test = MoveExamples.model_validate(yaml.safe_load(require_file(path, "agent-move test set").read_text("utf-8")))
    train = load_library(*[Path(f) for f in frameworks]).move_examples
    encoder = SentenceEncoder(backend=resolve_backend(backend))
    labels = sorted(train)
    pairs = [(label, s) for label, sentences in test.examples.items() for s in sentences if label in train]
    truth = [label for label, _ in pairs]
    vectors = encoder.encode([s for _, s in pairs])

    classifier = SentenceClassifier.train(train, encoder.encode)
    probabilities = classifier.probabilities(vectors)
    logistic = [classifier.labels[j] for j in probabilities.argmax(1)]

    train_vectors = {label: encoder.encode(train[label]) for label in labels}
    centroids = np.stack([v.mean(0) / np.linalg.norm(v.mean(0)) for v in train_vectors.values()])
    centroid = [labels[j] for j in (vectors @ centroids.T).argmax(1)]
    stacked = np.concatenate(list(train_vectors.values()))
    owner = [label for label in labels for _ in train_vectors[label]]
    nearest = [owner[j] for j in (vectors @ stacked.T).argmax(1)]
    figures = {
        "train_sentences": sum(len(v) for v in train.values()),
        "test_sentences": len(pairs),
        "test_file": str(path),
        "logistic_head": _report(truth, logistic, labels),
        "peers": {
            "nearest_centroid": _report(truth, centroid, labels)["macro_f1"],
            "nearest_example": _report(truth, nearest, labels)["macro_f1"],
        },
        "method": "base all-MiniLM-L6-v2 vectors; logistic head (multinomial, class-balanced, C=4) trained on "
        "frameworks/moves; top move vs the gold label of each test sentence; macro-F1 over moves (not 'other')",
    }
    if setfit:
        figures["setfit"] = _setfit(train, labels, pairs, truth)
    return figures


def _setfit(train: dict[str, list[str]], labels: list[str], pairs: list[tuple[str, str]], truth: list[str]) -> dict:
    """The same logistic head on a contrastively fine-tuned encoder (eval/setfit.py), fp32."""
    import time

    from eval.setfit import contrastive_finetune, tuned_encoder

    start = time.perf_counter()
    encode = tuned_encoder(contrastive_finetune(train))
    tuned_s = time.perf_counter() - start
    head = SentenceClassifier.train(train, encode)
    predicted = [head.labels[j] for j in head.probabilities(encode([s for _, s in pairs])).argmax(1)]
    report = _report(truth, predicted, labels)
    return {
        "macro_f1": report["macro_f1"],
        "accuracy": report["accuracy"],
        "fine_tune_seconds": round(tuned_s, 1),
        "method": "1 epoch, 4 positive + 4 negative pairs per training sentence, cosine-similarity loss, "
        "AdamW 2e-5, batch 32, seed 0; then the same logistic head",
    }
