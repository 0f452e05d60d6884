"""What a QA score is: one record per conversation, every criterion with the evidence behind it.
Shared by the scorer, the readers and writers, the report, the job API and the Ray engine."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.coaching.analysis import Span, Trend

CriterionKind = Literal["weighted", "auto_fail", "bonus"]
Outcome = Literal["pass", "fail", "na"]


class Evidence(BaseModel):
    """A turn (and where known the words in it) behind a criterion's outcome."""

    turn: int = Field(ge=0, description="index of the turn in the conversation")
    role: str
    span: Span | None = Field(None, description="the words that decided it; the whole turn when absent")
    note: str = Field(description="what this evidence shows, e.g. 'robotic: stock apology'")


class CriterionResult(BaseModel):
    id: str
    name: str
    kind: CriterionKind
    outcome: Outcome
    weight: float = Field(ge=0.0, description="its share of the score (weighted), or bonus points")
    earned: float = Field(ge=0.0, description="points earned out of `weight` (0 when N/A or an auto-fail)")
    reason: str = Field(description="why this outcome, in a sentence")
    evidence: list[Evidence] = Field(default_factory=list)


class Sentiment(BaseModel):
    """The customer's sentiment (positive minus negative, -1..1), first turn vs last."""

    start: float | None = None
    end: float | None = None
    trend: Trend = "unknown"
    points: list[float] = Field(default_factory=list)


class ConversationScore(BaseModel):
    conversation_id: str
    tenant: str | None = None
    agent_ids: list[str] = Field(default_factory=list, description="agents who spoke, in order of first turn")
    score: float = Field(ge=0.0, le=100.0, description="0-100: weighted criteria, plus bonus, 0 on an auto-fail")
    auto_failed: bool = False
    criteria: list[CriterionResult]
    turns: int = Field(ge=0)
    sentiment: Sentiment = Field(default_factory=Sentiment)
    escalated: bool = Field(False, description="the customer asked for escalation or was transferred")
    escalation_signals: list[str] = Field(
        default_factory=list, description="cue kinds the customer showed before the escalation or transfer"
    )
    repeat_contact: bool = Field(False, description="the customer says they contacted us about this before")
    problem_statement: str | None = Field(None, description="the customer's first substantive turn (for themes)")
    robotic_phrases: list[str] = Field(default_factory=list, description="agent sentences flagged robotic/templated")
    policy_lines: list[str] = Field(default_factory=list, description="agent sentences flagged policy over people")
