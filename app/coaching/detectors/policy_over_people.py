"""Policy over people: the agent hides behind a rule or helplessness (a refusal, by meaning)
instead of saying what can be done. Required disclosures are never flagged."""

from __future__ import annotations

import re

from app.coaching.analysis import AgentFlag
from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary
from app.coaching.state import ConversationState

# Probability of the refusal move from which it is flagged. Being merely the likeliest move is not enough:
# the head spreads a factual sentence ("Done - 34 duplicate events removed.") thin, refusal on top at 0.3.
REFUSAL = 0.5
SURE_REFUSAL = 0.8
# "... can't refund bookings made elsewhere, but I've emailed you a letter for your insurer": the
# refusal says what can be done itself. (Another sentence that does: `TurnContext.offers`.)
BUT_WE_CAN = re.compile(r"\bbut (I|I'?ve|I'?ll|I can|we can|we'?ll|we'?ve|what I can|there are)\b", re.I)
BETTER_MOVE = "Say what you CAN do — an exception within your limits, an option, or a fast escalation."


class PolicyOverPeopleDetector:
    name = "policy_over_people"
    role = "agent"
    needs = frozenset({"moves"})

    def __init__(self, library: CoachingLibrary) -> None:
        policy = library.phrases.get("policy")
        self.reason = policy.reason if policy else "hides behind rules or helplessness"
        self.better_move = policy.better_move if policy else BETTER_MOVE

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        flags = []
        for i, span in enumerate(context.sentences):
            reading = context.moves[i]
            probability = reading.scores.get("refusal", 0.0)
            if context.compliance[i] or probability < REFUSAL:
                continue
            # An offer beside the refusal ("we can't refund it, but I can credit it now") is not hiding.
            if reading.makes("action") and probability < SURE_REFUSAL:
                continue
            if BUT_WE_CAN.search(span.text) or context.offers(i):
                continue
            flags.append(
                AgentFlag(
                    kind="policy_over_people",
                    span=span,
                    reason=f"{self.reason} (reads as a refusal, {probability:.2f})",
                    better_move=self.better_move,
                )
            )
        return flags
