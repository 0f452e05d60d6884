"""`coach score --engine ray`: Ray Data on a local instance (2 actors, each loading the coach once)
gives exactly the in-process engine's results."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.qa.runner import InProcessEngine, run_scoring
from models.artifact import DEFAULT_ARTIFACT
from tests.qa.conftest import QA_FIXTURES

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'coachline[ray]')")
pytestmark = pytest.mark.shipped_model


def test_ray_scores_match_the_in_process_engine(tmp_path: Path, qa_scorer, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.qa.ray_engine import CoachSpec, RayEngine

    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # a local instance, never a cluster by accident
    inputs = [QA_FIXTURES / "scored_chats.jsonl", QA_FIXTURES / "transcripts.jsonl"]
    local = run_scoring(InProcessEngine(qa_scorer), inputs, tmp_path / "local", progress=False)
    engine = RayEngine(CoachSpec(DEFAULT_ARTIFACT), workers=2, batch_size=2)
    try:
        distributed = run_scoring(engine, inputs, tmp_path / "ray", progress=False)
    finally:
        engine.shutdown()
    assert distributed.scored == local.scored > 4
    for name in ("conversations.jsonl", "conversations.vcon.jsonl", "agents.csv"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
