"""What the coach says about each turn: plain pydantic models, shared by CLI, batch and API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Span(BaseModel):
    """Character offsets into the turn's text, and the text they cover."""

    start: int
    end: int
    text: str


class ScoredLabel(BaseModel):
    label: str
    scores: dict[str, float] = Field(description="the emotion model's probabilities")
    source: Literal["model", "cues"] = Field(
        "model", description="'cues' when the customer's words overrule a calm model reading"
    )
    reason: str | None = Field(None, description="why, when the source is 'cues'")

    @property
    def score(self) -> float:
        return self.scores.get(self.label, 0.0)

    def describe(self) -> str:
        """'frustration 0.62', or the cues that set the label."""
        return self.reason if self.source == "cues" and self.reason else f"{self.label} {self.score:.2f}"


class Cue(BaseModel):
    """A customer signal the agent should notice, with its evidence."""

    kind: str = Field(description="e.g. frustration, short_answer, repeated_question, escalation, churn, abuse")
    span: Span
    reason: str
    severity: Literal["info", "warn", "alert"] = "warn"


class TemplatedScore(BaseModel):
    score: float = Field(ge=0.0, le=1.0, description="how canned the sentence reads, 0-1")
    flag: bool
    signals: dict[str, float] = Field(default_factory=dict, description="what the score is made of")


class AgentSentence(BaseModel):
    span: Span
    templated: TemplatedScore
    compliance: bool = Field(False, description="a required disclosure: never flagged")
    moves: list[str] = Field(default_factory=list, description="what the sentence does (agent-move classifier)")


class AgentFlag(BaseModel):
    kind: str = Field(
        description="robotic, policy_over_people, repeat_ask, solution_before_empathy, jargon, or a tenant's own flag"
    )
    span: Span
    reason: str
    better_move: str


class CustomerTurnAnalysis(BaseModel):
    state: ScoredLabel
    sentiment: ScoredLabel
    emotions: list[str] = Field(description="GoEmotions labels over their thresholds")
    cues: list[Cue]
    upset: bool = Field(
        False,
        description="upset by the coach's one definition: the model's calibrated upset probability at its "
        "threshold, a state the customer's cues imply, or an upset cue (carried through flat replies)",
    )
    upset_probability: float | None = Field(
        None, ge=0.0, le=1.0, description="the emotion model's calibrated probability that this customer is upset"
    )


class AgentTurnAnalysis(BaseModel):
    sentences: list[AgentSentence]
    flags: list[AgentFlag]
    learn_steps: list[str] = Field(description="L.E.A.R.N. steps this turn covered")


class Suggestion(BaseModel):
    """The next move: a principle, why now, and phrasing ideas from this customer's details."""

    framework: str
    step: str
    name: str
    principle: str
    why_now: str
    ideas: list[str]


Trend = Literal["improving", "steady", "worsening", "unknown"]


class Trajectory(BaseModel):
    """Customer sentiment (positive minus negative probability, -1..1) over the conversation."""

    start: float | None = None
    now: float | None = None
    trend: Trend = "unknown"
    points: list[float] = Field(default_factory=list)


class TurnAnalysis(BaseModel):
    index: int
    role: str
    customer: CustomerTurnAnalysis | None = None
    agent: AgentTurnAnalysis | None = None
    learn_coverage: dict[str, bool]
    suggestions: list[Suggestion]
    trajectory: Trajectory
