"""`coach bench batching`: does a text's reading depend on its batch-mates, and what do single runs cost?

The same texts through the shipped model on ONNX int8 twice: each text alone (how the classifier runs
it) and in length-sorted batches of 64 (how it ran before; int8 activations are scaled once per run,
so a batch's longest and loudest texts change the others' readings). Prints how many upset decisions
and customer states differ between the two, and texts per second each way. Caches off.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from eval.common import DatasetMissing
from models.artifact import DEFAULT_ARTIFACT

BATCH = 64


def _texts(path: Path) -> tuple[str, list[str]]:
    from eval.qa import read_rated_dialogues

    if not path.is_file():
        raise DatasetMissing(f"MAIA-DQE file not found at {path}; pass its path with --transcripts")
    dialogues = read_rated_dialogues(path)
    texts = list(dict.fromkeys(t.text for d in dialogues for t in d.conversation.turns))
    return f"MAIA-DQE {path.name}: every distinct turn text ({len(texts)})", texts


def run_batching_benchmark(path: Path, model: Path = DEFAULT_ARTIFACT) -> dict:
    from models.classifier import EmotionClassifier

    source, texts = _texts(path)
    alone = EmotionClassifier.load(model, backend="onnx-int8", cache_size=0)
    batched = EmotionClassifier.load(model, backend="onnx-int8", cache_size=0)
    batched.batch_size = BATCH  # the old way, for comparison only: the loader runs each text alone
    timings: dict[str, float] = {}
    readings = {}
    for name, classifier in (("alone", alone), ("batched", batched)):
        classifier.predict(texts[:16])  # warm the sessions
        started = time.perf_counter()
        readings[name] = classifier.predict(texts)
        timings[name] = time.perf_counter() - started
    pairs = list(zip(readings["alone"], readings["batched"], strict=True))
    gap = [abs(a.upset.probability - b.upset.probability) for a, b in pairs]
    return {
        "how": f"coach bench batching: {source}, ONNX int8, caches off; each text alone vs length-sorted "
        f"batches of {BATCH}; after one warm-up call each",
        "cores": os.cpu_count(),
        "texts": len(texts),
        "upset_decisions_differing": sum(a.upset.upset != b.upset.upset for a, b in pairs),
        "customer_states_differing": sum(a.customer_state.label != b.customer_state.label for a, b in pairs),
        "upset_probability_gap": {"mean": round(float(np.mean(gap)), 4), "max": round(float(max(gap)), 4)},
        "texts_per_second": {name: round(len(texts) / seconds, 1) for name, seconds in timings.items()},
    }
