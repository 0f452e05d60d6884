"""Shared fixtures: a tiny, randomly initialised artifact so unit tests never need the
shipped weights (and run in seconds)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import AutoTokenizer, BertConfig

    from models.artifact import ArtifactMeta, save_artifact
    from models.network import EmotionNetwork, base_encoder_path

    tokenizer = AutoTokenizer.from_pretrained(str(base_encoder_path()))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    network = EmotionNetwork.from_config(config)
    # Spread the emotion probabilities so thresholds actually split labels on and off.
    torch.nn.init.normal_(network.emotion_head.weight, std=2.0)
    meta = ArtifactMeta(thresholds=[0.5] * 28, max_length=32, training={"train_file": "tiny-random"})
    return save_artifact(network, tokenizer, meta, tmp_path_factory.mktemp("artifact") / "tiny")


@pytest.fixture(scope="session")
def tiny_classifier(tiny_artifact: Path):
    from models.classifier import EmotionClassifier

    return EmotionClassifier.load(tiny_artifact, cache_size=0)


@pytest.fixture(scope="session", params=["fp32", "onnx-int8"])
def engine(request: pytest.FixtureRequest):
    """The real coaching engine: the shipped emotion model and the MiniLM sentence encoder, on
    both back ends: fp32 (the command line's default) and onnx-int8 (the service's "auto")."""
    from app.coaching.engine import CoachingEngine
    from models.classifier import EmotionClassifier
    from models.embedder import SentenceEncoder

    backend = request.param
    if backend == "onnx-int8":
        pytest.importorskip("onnxruntime")
    return CoachingEngine(EmotionClassifier.load(backend=backend), SentenceEncoder(backend=backend))


POSTGRES_URL = os.environ.get("COACHLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_answers(url: str) -> bool:
    import sqlalchemy as sa

    from app.storage.database import make_engine

    try:
        with make_engine(url).connect() as connection:
            connection.execute(sa.text("select 1"))
        return True
    except Exception:
        return False


@contextmanager
def migrated_database(kind: str, folder: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, or a fresh schema on the local PostgreSQL
    (skipped loudly when no PostgreSQL answers)."""
    import uuid

    import sqlalchemy as sa

    from app.storage.database import make_engine, upgrade

    if kind == "sqlite":
        url = f"sqlite:///{folder / 'coach.db'}"
        upgrade(url)
        yield url
        return
    if not _postgres_answers(POSTGRES_URL):
        import warnings

        message = f"PostgreSQL NOT TESTED: nothing answers at {POSTGRES_URL} (set COACHLINE_TEST_POSTGRES_URL)"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    schema = f"coach_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'create schema "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with migrated_database(request.param, tmp_path) as url:
        yield url
