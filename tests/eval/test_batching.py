"""`coach bench batching` and the redactor's cost figure, on the two-dialogue MAIA-DQE fixture."""

from __future__ import annotations

import pytest

from eval.batching import run_batching_benchmark
from eval.common import DatasetMissing
from eval.pii import redactor_cost
from tests.conftest import FIXTURES


@pytest.mark.shipped_model
def test_batching_counts_what_differs_and_times_both_ways() -> None:
    pytest.importorskip("onnxruntime")
    figures = run_batching_benchmark(FIXTURES / "maia_sample.json")
    assert figures["texts"] > 3 and "coach bench batching" in figures["how"]
    assert 0 <= figures["upset_decisions_differing"] <= figures["texts"]
    assert set(figures["texts_per_second"]) == {"alone", "batched"}
    assert all(rate > 0 for rate in figures["texts_per_second"].values())


def test_batching_without_the_data_says_where_to_point_it(tmp_path) -> None:
    with pytest.raises(DatasetMissing, match="--transcripts"):
        run_batching_benchmark(tmp_path / "nope.json")


def test_redactor_cost_counts_the_turns_it_analyses() -> None:
    figures = redactor_cost(FIXTURES / "maia_sample.json", repeats=1)
    assert 0 < figures["analysed"] <= figures["turns"] and figures["ms_per_turn"] > 0
