from pathlib import Path

import pytest

from eval.bench import run_benchmark
from tests.conftest import FIXTURES


def test_bench_reports_latency_throughput_and_rss(tiny_artifact: Path):
    report = run_benchmark(
        tiny_artifact, threads=1, texts=FIXTURES / "goemotions_sample.tsv", single=25, batch=40, include_peer=False
    )
    for backend in ("fp32", "int8"):
        ours = report[f"coachline_{backend}"]
        assert ours["single_turn"]["calls"] == 25
        assert 0 < ours["single_turn"]["p50_ms"] <= ours["single_turn"]["p99_ms"]
        assert ours["batch"]["turns"] == 40 and ours["batch"]["turns_per_s"] > 0
    assert report["peak_rss_mib_coachline"] > 50
    assert "peer" not in report


@pytest.mark.slow
def test_bench_with_peer_reports_ratios(tiny_artifact: Path):
    report = run_benchmark(tiny_artifact, threads=1, texts=None, single=5, batch=16)
    assert report["peer"]["params_millions"] > 100
    assert report["speedup_int8"]["batch_throughput"] > 0


def test_annotate_benchmark_compares_with_the_classifier(tiny_artifact: Path, tmp_path: Path):
    from eval.bench import run_annotate_benchmark

    transcripts = tmp_path / "t.jsonl"
    transcripts.write_text(
        '{"conversation_id": "b", "turns": [{"role": "customer", "text": "Where is my order?"}, '
        '{"role": "agent", "text": "Let me check that for you."}]}\n',
        encoding="utf-8",
    )
    report = run_annotate_benchmark(tiny_artifact, threads=1, transcripts=transcripts, backend="fp32")
    assert report["classifier_turns_per_s"] > 0 and report["annotate_turns_per_s"] > 0
    assert report["annotate_slowdown"] > 0 and "2 turns" in report["method"]
