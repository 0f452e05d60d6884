"""`eval/load.py` against a real server process (the tiny random model): every turn answered,
figures well formed; a server that cannot start fails fast with its own words."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest

from eval.load import ServerFailed, add_arguments, load_turn_source, plan_conversations, run_load_benchmark


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def _one_worker_no_pauses(
    model: Path, tmp_path: Path, *, conversations: int, turns: int, ready_timeout: int
) -> argparse.Namespace:
    """A small fp32 run: one worker, one phase without pauses, the synthetic turns."""
    run = ["--model", str(model), "--backend", "fp32", "--workers", "1", "--think-ms", "0", "--no-saturation"]
    size = ["--conversations", str(conversations), "--turns-per-conversation", str(turns)]
    inputs = ["--transcripts", str(tmp_path / "absent.json"), "--ready-timeout", str(ready_timeout)]
    return _args(*run, *size, *inputs)


def test_small_run_answers_every_turn(tiny_artifact: Path, tmp_path: Path):
    args = _one_worker_no_pauses(tiny_artifact, tmp_path, conversations=3, turns=3, ready_timeout=120)
    report = run_load_benchmark(args)
    assert [run["workers"] for run in report["runs"]] == [1]
    phases = report["runs"][0]["phases"]
    assert list(phases) == ["saturation"]
    phase = phases["saturation"]
    assert phase["requests"] == 9 and phase["ok"] == 9 and phase["errors"] == 0, phase["error_examples"]
    latency = phase["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert phase["turns_per_s"] > 0 and phase["wall_s"] > 0 and phase["warmup_errors"] == 0
    assert phase["server_side"]["turn_requests"] == 9
    assert set(phase["targets_met"]) == {"p50", "p99", "zero_errors", "all"}
    assert report["targets"]["p50_ms"] == 15 and report["targets"]["p99_ms"] == 60
    assert "workers=1/saturation" in report["targets"]["pass"]
    assert report["turn_source"]["synthetic_fallback"] is True and "not found" in report["turn_source"]["description"]
    for words in ("Loopback", "separate process", "same machine", "SQLite", "synthetic", str(tiny_artifact)):
        assert words in report["method"]
    assert report["scaling"]["turns_per_s"] == {"1": phase["turns_per_s"]}


def test_a_server_that_cannot_start_fails_fast_with_its_output(tmp_path: Path):
    args = _one_worker_no_pauses(tmp_path / "no-such-model", tmp_path, conversations=1, turns=1, ready_timeout=60)
    start = time.monotonic()
    with pytest.raises(ServerFailed, match="exited with status") as failure:
        run_load_benchmark(args)
    assert time.monotonic() - start < 60
    assert "no-such-model" in str(failure.value)  # the server's own complaint is in the message


def test_turns_are_read_in_order_and_texts_differ():
    source = load_turn_source(None)
    plan = plan_conversations(source, 5, 4)
    assert [len(turns) for turns in plan] == [4] * 5
    texts = [t.text for turns in plan for t in turns]
    assert len(set(texts)) > 15 and {t.role for turns in plan for t in turns} == {"customer", "agent"}


def test_workers_option_is_checked():
    assert _args("--workers", "1,2,4").workers == [1, 2, 4]
    with pytest.raises(SystemExit):
        _args("--workers", "0")


def test_webhook_mode_times_the_acknowledgement_of_signed_events(tiny_artifact: Path, tmp_path: Path):
    args = _one_worker_no_pauses(tiny_artifact, tmp_path, conversations=2, turns=3, ready_timeout=120)
    args.webhooks = True
    report = run_load_benchmark(args)
    phase = report["runs"][0]["phases"]["saturation"]
    assert phase["ok"] == 6 and phase["errors"] == 0, phase["error_examples"]  # each answered 200: stored
    assert report["settings"]["sent_as"].startswith("signed generic webhooks")
