"""The conversation model the analysers annotate (after ConvoKit: conversation, utterances,
speakers), and the JSONL transcript format used everywhere:

    {"conversation_id": "c-1", "turns": [{"role": "customer", "text": "...", "ts": "..."}, ...]}
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["customer", "agent", "system"]


class Turn(BaseModel):
    """One utterance: who spoke, what they said, optionally when and which agent."""

    model_config = ConfigDict(extra="allow")  # platform fields ride along untouched

    role: Role
    text: str = Field(min_length=1, description="what was said; must not be empty")
    ts: datetime | None = None
    agent_id: str | None = None


class Conversation(BaseModel):
    model_config = ConfigDict(extra="allow")

    conversation_id: str = Field(min_length=1)
    turns: list[Turn] = Field(default_factory=list)
    tenant: str | None = None
