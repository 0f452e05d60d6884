"""`coach bench`: latency and throughput of `EmotionClassifier.predict` against the usual way,
a transformers `pipeline("text-classification", top_k=None)` over a roberta-base-sized
GoEmotions classifier, in one process, on this machine.

The peer has random weights (timing only; no hub access is allowed here) and uses this
project's WordPiece tokenizer, since roberta's BPE files would come from a hub.  Both are
fast (Rust) tokenizers, so the tokenisation cost is comparable.
"""

from __future__ import annotations

import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from models.artifact import DEFAULT_ARTIFACT
from models.classifier import onnx_available

FALLBACK_TEXTS = (
    "I've been waiting two weeks for my refund and nobody answers my emails.",
    "Thanks, that worked!",
    "Why was I charged twice for order 5521?",
    "This is the third time I'm explaining this.",
    "Can you tell me when the technician will arrive?",
    "I want to cancel my subscription right now.",
    "ok",
    "The app keeps crashing whenever I open the billing page on my phone, please help.",
)


def _load_texts(path: Path | None, n: int, seed: int = 0) -> list[str]:
    texts: list[str] = []
    if path is not None and path.is_file():
        from models.data import read_goemotions

        texts = read_goemotions(path).texts
    if not texts:
        texts = list(FALLBACK_TEXTS)
    rng = random.Random(seed)
    # Caches are off in every timed run, so repeats cost full price on both sides.
    return [rng.choice(texts) for _ in range(n)]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _latency(call: Callable[[str], object], texts: Sequence[str], warmup: int = 20) -> dict:
    for text in texts[:warmup]:
        call(text)
    samples = []
    for text in texts:
        start = time.perf_counter()
        call(text)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "calls": len(samples),
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3),
        "mean_ms": round(statistics.fmean(samples), 3),
    }


def _throughput(call: Callable[[list[str]], object], texts: list[str]) -> dict:
    call(texts[:64])  # warm-up
    start = time.perf_counter()
    call(texts)
    seconds = time.perf_counter() - start
    return {"turns": len(texts), "seconds": round(seconds, 3), "turns_per_s": round(len(texts) / seconds, 1)}


def _bench_ours(model: Path, backend: str, single: list[str], batch: list[str]) -> dict:
    from models.classifier import EmotionClassifier

    classifier = EmotionClassifier.load(model, backend=backend, cache_size=0, batch_size=64)  # type: ignore[arg-type]
    classifier.predict(single[:5])  # load-time work (e.g. the ONNX export) stays out of the timings
    return {
        "single_turn": _latency(lambda t: classifier.predict([t]), single),
        "batch": _throughput(classifier.predict, batch),
    }


def _bench_peer(model: Path, single: list[str], batch: list[str]) -> dict:
    from transformers import pipeline

    from eval.peer import ensure_peer_model
    from models.onnx_backend import cache_dir

    peer_dir = ensure_peer_model(cache_dir() / "peer-roberta-base-random", model)
    classify = pipeline("text-classification", model=str(peer_dir), top_k=None, device="cpu")
    peer_model = classify.model
    return {
        "description": "transformers pipeline('text-classification', top_k=None), roberta-base shape "
        "(12 layers, hidden 768, 28 labels), random weights; batch run with batch_size=32",
        "params_millions": round(sum(p.numel() for p in peer_model.parameters()) / 1e6, 1),
        "single_turn": _latency(lambda t: classify(t, truncation=True, max_length=64), single),
        "batch": _throughput(lambda ts: classify(ts, batch_size=32, truncation=True, max_length=64), batch),
    }


def _run_seconds(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def run_process_benchmark(
    model: Path = DEFAULT_ARTIFACT, *, threads: int = 2, texts: Path | None = None, n: int = 1000, repeats: int = 3
) -> dict:
    """Whole processes, start-up included, side by side: `coach classify FILE` (the command line's
    default back end) against `python -m eval.peer` (a transformers pipeline), on one line (start-up)
    and on `n` texts. Each is run once untimed (caches: the ONNX export, the peer's weights on disk),
    then `repeats` times; the median counts."""
    from eval.peer import ensure_peer_model
    from models.onnx_backend import cache_dir

    peer_dir = ensure_peer_model(cache_dir() / "peer-roberta-base-random", model)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    ours = [sys.executable, "-m", "app.cli", "classify", "--threads", str(threads), "--model", str(model)]
    peer = [sys.executable, "-m", "eval.peer", str(peer_dir)]
    report: dict = {
        "method": f"wall time of whole processes on {threads} threads, median of {repeats} after one untimed run; "
        f"ours: `coach classify` (back end auto); peer: transformers pipeline, roberta-base shape, batch 32",
    }
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.txt"
        one.write_text(FALLBACK_TEXTS[0] + "\n", encoding="utf-8")
        many = Path(tmp) / "many.txt"
        # Distinct texts: repeats would be answered from the classifier's cache and flatter us.
        pool = sorted(set(_load_texts(texts, 20 * n, seed=3)))
        distinct = random.Random(3).sample(pool, min(n, len(pool)))
        report["texts"] = f"{len(distinct)} distinct texts from {texts or 'the built-in examples'}"
        many.write_text("\n".join(distinct) + "\n", encoding="utf-8")
        for name, path in (("start_up_one_line", one), (f"texts_{n}", many)):
            timings = {}
            for who, command in (("coachline", ours), ("peer", peer)):
                _run_seconds([*command, str(path)], env)
                timings[who] = round(
                    statistics.median(_run_seconds([*command, str(path)], env) for _ in range(repeats)), 3
                )
            timings["speedup"] = round(timings["peer"] / timings["coachline"], 1)
            report[name + "_seconds"] = timings
    return report


def run_benchmark(
    model: Path = DEFAULT_ARTIFACT,
    *,
    threads: int = 2,
    texts: Path | None = None,
    single: int = 300,
    batch: int = 2048,
    include_peer: bool = True,
) -> dict:
    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(threads)
    single_texts = _load_texts(texts, single, seed=1)
    batch_texts = _load_texts(texts, batch, seed=2)
    report: dict = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores_visible": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
        },
        "method": "single_turn: predict([text]) on distinct texts, cache off, after 20 warm-up calls; "
        "batch: one predict(list) over distinct texts; texts drawn from " + str(texts or "built-in examples"),
    }
    backends = ["fp32", "int8"]
    if onnx_available():
        backends.append("onnx-int8")
    for backend in backends:
        report[f"coachline_{backend}"] = _bench_ours(model, backend, single_texts, batch_texts)
    report["peak_rss_mib_coachline"] = round(_peak_rss_mib(), 1)
    if include_peer:
        report["whole_process"] = run_process_benchmark(model, threads=threads, texts=texts)
        peer = _bench_peer(model, single_texts, batch_texts)
        report["peer"] = peer
        report["peak_rss_mib_after_peer"] = round(_peak_rss_mib(), 1)
        for backend in backends:
            ours = report[f"coachline_{backend}"]
            report[f"speedup_{backend}"] = {
                "single_turn_p50": round(peer["single_turn"]["p50_ms"] / ours["single_turn"]["p50_ms"], 2),
                "batch_throughput": round(ours["batch"]["turns_per_s"] / peer["batch"]["turns_per_s"], 2),
            }
    return report


def run_annotate_benchmark(
    model: Path = DEFAULT_ARTIFACT, *, threads: int = 2, transcripts: Path | None = None, backend: str = "int8"
) -> dict:
    """Turns/s of the whole coaching engine (`coach annotate`'s work) against the classifier
    alone on the same turns, caches cleared before each run."""
    import io
    import json

    import torch

    from app.annotate import annotate_stream
    from app.coaching.engine import CoachingEngine
    from models.classifier import EmotionClassifier
    from models.embedder import SentenceEncoder

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(threads)
    conversations = _bench_conversations(transcripts)
    texts = [t.text for c in conversations for t in c.turns]
    classifier = EmotionClassifier.load(model, backend=backend, cache_size=0)  # type: ignore[arg-type]
    classifier.predict(texts[:32])
    start = time.perf_counter()
    classifier.predict(texts)
    classify_s = time.perf_counter() - start

    engine = CoachingEngine(
        EmotionClassifier.load(model, backend=backend, cache_size=len(texts) + 1),  # type: ignore[arg-type]
        SentenceEncoder(backend=backend, cache_size=4 * len(texts) + 1),
    )
    source = "\n".join(json.dumps(c.model_dump(mode="json", exclude_none=True)) for c in conversations) + "\n"
    start = time.perf_counter()
    annotate_stream(engine, io.StringIO(source), io.StringIO(), err=io.StringIO())
    annotate_s = time.perf_counter() - start
    return {
        "method": f"{len(conversations)} conversations, {len(texts)} turns; classifier: one predict(list) over "
        f"all turn texts; annotate: annotate_stream over the same JSONL (macro learning, bulk warm-up, "
        f"analysis); backend {backend}, {threads} threads, cold caches",
        "classifier_turns_per_s": round(len(texts) / classify_s, 1),
        "annotate_turns_per_s": round(len(texts) / annotate_s, 1),
        "annotate_slowdown": round(annotate_s / classify_s, 2),
    }


def _bench_conversations(path: Path | None):
    from app.coaching.conversation import Conversation, Turn

    if path is not None and path.is_file() and path.suffix == ".json":
        from eval.templated import maia_conversations

        return maia_conversations(path)[0]
    if path is not None and path.is_file():
        return [
            Conversation.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line
        ]
    rng = random.Random(0)
    agent = (
        "Thanks for reaching out!",
        "I'm sorry about that, let me check your order.",
        "I've issued a refund; you'll see it in 3-5 days.",
        "Is there anything else I can help with?",
    )
    return [
        Conversation(
            conversation_id=f"bench-{i}",
            turns=[
                Turn(
                    role="customer" if j % 2 == 0 else "agent",
                    text=f"{rng.choice(FALLBACK_TEXTS)} ({i}.{j})" if j % 2 == 0 else rng.choice(agent),
                )
                for j in range(8)
            ],
        )
        for i in range(150)
    ]
