"""Shared fixtures: a tiny, randomly initialised artifact so unit tests never need the
shipped weights (and run in seconds)."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def engine():
    """The real coaching engine: the shipped emotion model and the MiniLM sentence encoder."""
    from app.coaching.engine import CoachingEngine
    from models.classifier import EmotionClassifier
    from models.embedder import SentenceEncoder

    return CoachingEngine(EmotionClassifier.load(), SentenceEncoder())
