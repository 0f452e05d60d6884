"""The turn context: everything about one turn that detectors read, computed once per turn.

Sentences, one encoder pass for their vectors, the emotion prediction (customer turns), the
agent moves of each sentence (agent turns) and the customer's details so far. Detectors run in
order over it (spaCy-style): each adds its cues or flags, and later ones may read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from app.coaching.analysis import AgentFlag, Cue, ScoredLabel, Span, TemplatedScore
from app.coaching.conversation import Turn
from app.coaching.moves import MoveReading
from app.coaching.text import FIRST_PERSON, CustomerDetails, is_question
from models.classifier import EmotionPrediction

# Moves that say what can be done: an act or an offer, a time, a follow-up, a handover.
OFFERS = frozenset({"action", "timeline", "follow_up", "warm_transfer"})
NOT_OFFERS = frozenset({"refusal", "non_apology", "stock_apology", "closing", "greeting", "ask_info", "ask_repeat"})
# The agent doing or committing to something, whatever the move head reads: "I've set", "I'll message", "let me".
AGENT_ACTS = re.compile(
    r"\b(I'?ve|I have|I'?ll|I will|let me|we'?ve|we have|we'?ll|we will)\s+(?!not\b|never\b)\w+", re.I
)


@dataclass
class TurnContext:
    index: int
    turn: Turn
    sentences: list[Span]
    vectors: np.ndarray  # one unit-length row per sentence (base MiniLM encoder)
    details: CustomerDetails  # the customer's details including this turn
    prediction: EmotionPrediction | None = None  # customer turns
    moves: list[MoveReading] = field(default_factory=list)  # agent turns: one per sentence
    compliance: list[bool] = field(default_factory=list)  # agent turns: a required disclosure
    # Filled as the pipeline runs:
    cues: list[Cue] = field(default_factory=list)
    # Of those, the ones shown to the agent that owe nothing (a detector with `opens_obligations = False`).
    shown_only: list[Cue] = field(default_factory=list)
    flags: list[AgentFlag] = field(default_factory=list)
    templated: list[TemplatedScore] = field(default_factory=list)
    stock_category: list[str | None] = field(default_factory=list)  # each sentence's nearest stock phrase's
    state: ScoredLabel | None = None
    sentiment: ScoredLabel | None = None

    @property
    def text(self) -> str:
        return self.turn.text

    @property
    def role(self) -> str:
        return self.turn.role

    def questions(self) -> list[int]:
        """Indices of the sentences that are questions."""
        return [i for i, s in enumerate(self.sentences) if is_question(s.text)]

    def makes(self, *moves: str) -> bool:
        """Whether any (non-disclosure) sentence of this agent turn makes one of `moves`."""
        return any(r.makes(*moves) for r, c in zip(self.moves, self.compliance, strict=False) if not c)

    def offers(self, besides: int) -> bool:
        """A sentence of this agent turn other than `besides` acts, offers, gives a time or hands
        over in the agent's own voice ("I can log your notice today")."""
        readings = zip(self.sentences, self.moves, self.compliance, strict=False)
        return any(
            i != besides
            and not disclosure
            and reading.top() not in NOT_OFFERS
            and (
                (reading.top() in OFFERS and FIRST_PERSON.search(span.text) is not None)
                or AGENT_ACTS.search(span.text) is not None  # "For this order I've set the milk to 'no substitutes'"
            )
            for i, (span, reading, disclosure) in enumerate(readings)
        )

    def owing_cues(self) -> list[Cue]:
        """The cues that open obligations: all but those only shown."""
        return [c for c in self.cues if not any(c is shown for shown in self.shown_only)]

    def cue_kinds(self) -> set[str]:
        return {c.kind for c in self.cues}
