"""The emotion network: a BERT-style encoder, mean pooling, and four linear heads."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from transformers import BertConfig, BertModel

from models.artifact import base_encoder_path
from models.labels import CUSTOMER_STATES, GOEMOTIONS_LABELS, SENTIMENT_LABELS

__all__ = ["EmotionNetwork", "base_encoder_path"]


class EmotionNetwork(nn.Module):
    """Encoder + mean pooling, with heads for 28 emotions (multi-label), sentiment, state and
    upset (one logit: is this customer upset, learned from support turns labelled so)."""

    def __init__(self, encoder: BertModel, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.emotion_head = nn.Linear(hidden, len(GOEMOTIONS_LABELS))
        self.sentiment_head = nn.Linear(hidden, len(SENTIMENT_LABELS))
        self.state_head = nn.Linear(hidden, len(CUSTOMER_STATES))
        self.upset_head = nn.Linear(hidden, 1)

    @classmethod
    def from_base(cls, path: Path | None = None) -> EmotionNetwork:
        """Start from pretrained encoder weights (training)."""
        encoder = BertModel.from_pretrained(str(path or base_encoder_path()), add_pooling_layer=False)
        return cls(encoder)

    @classmethod
    def from_config(cls, config: BertConfig) -> EmotionNetwork:
        """An uninitialised network of the given shape (loading a fine-tuned artifact, tests)."""
        return cls(BertModel(config, add_pooling_layer=False))

    def embed(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Mean-pooled token states: the sentence embedding all heads read. `token_type_ids` mark
        the customer's turn (1) after the agent's previous one (0) when the network reads a pair."""
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        return (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (emotion logits, sentiment logits, state logits, upset logit, pooled embedding)."""
        pooled = self.embed(input_ids, attention_mask, token_type_ids)
        features = self.dropout(pooled)
        return (
            self.emotion_head(features),
            self.sentiment_head(features),
            self.state_head(features),
            self.upset_head(features).squeeze(-1),
            pooled,
        )
