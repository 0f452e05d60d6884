"""Cards from open obligations: one rule per move, the most urgent one shown at a time.

A card stays while its obligation is open (`app.coaching.ledger`) and clears when the agent
makes the move, when the customer says it is settled, or when a more urgent card for the same
move supersedes it (a de-escalation acknowledgement is the Empathize move for an abusive turn).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.coaching.analysis import Suggestion
from app.coaching.frameworks import CoachingLibrary
from app.coaching.learn import FEELING, suggestion
from app.coaching.ledger import Obligation, Owed
from app.coaching.state import ConversationState
from app.coaching.upset import UPSET_STATES

# One card at a time. Two (the issue allows two) put a second card up that was wrong more often than
# right: on the coaching halves the second card, mostly Apologize behind Empathize, was outside the
# accepted moves 35 times and inside 15; with one card the wrong step shown fell from 0.04-0.13 to
# 0.00-0.06 per half, the right step from 0.83-0.96 to 0.79-0.95. The next card comes up once the
# agent makes the first move.
MAX_CARDS = 1


@dataclass(frozen=True)
class Rule:
    """The card for one obligation: `card(state, owed)` gives (framework, step, move)."""

    obligation: Obligation
    card: Callable[[ConversationState, Owed], tuple[str, str, str]]


def _boundary(state: ConversationState, owed: Owed) -> tuple[str, str, str]:
    if state.ledger.owes("empathy") and not state.covered("de_escalation", "acknowledge_emotion"):
        return "de_escalation", "acknowledge_emotion", "empathize"
    if not state.covered("de_escalation", "set_boundary"):
        return "de_escalation", "set_boundary", "boundary"
    return "de_escalation", "disengage", "boundary"


def _handoff(state: ConversationState, owed: Owed) -> tuple[str, str, str]:
    step = "summary" if state.covered("warm_transfer", "tell_the_customer") else "tell_the_customer"
    return "warm_transfer", step, "transfer"


RULES: tuple[Rule, ...] = (
    Rule("boundary", _boundary),
    Rule("handoff", _handoff),
    Rule("status_update", lambda state, owed: ("proactive_update", owed.parts[0], "status_update")),
    Rule("empathy", lambda state, owed: ("learn", "empathize", "empathize")),
    Rule("apology", lambda state, owed: ("learn", "apologize", "apologize")),
    Rule("listen", lambda state, owed: ("learn", "listen", "listen")),
    Rule("answer", lambda state, owed: ("learn", "resolve", "resolve")),
    Rule("resolution", lambda state, owed: ("learn", "resolve", "resolve")),
    Rule("follow_up", lambda state, owed: ("learn", "note", "note")),
)


def cards(state: ConversationState, library: CoachingLibrary, conditions: set[str]) -> list[Suggestion]:
    """The cards for the open obligations, most urgent first. `conditions`: what the ideas may
    assume (`company_fault`, `unexplained`)."""
    slots = state.details.slots()
    slots["feeling"] = feeling(state)
    out: list[Suggestion] = []
    moves: set[str] = set()
    for rule in RULES:
        owed = state.ledger.open.get(rule.obligation)
        if owed is None or len(out) == MAX_CARDS:
            continue
        if rule.obligation in {"resolution", "answer"} and (
            state.ledger.owes("empathy") or state.ledger.owes("apology")
        ):
            # L.E.A.R.N. in order: the fix, or the answer to an upset customer's question, comes once
            # the feeling is acknowledged (a solution before empathy is one of the seeds' mistakes).
            continue
        framework_id, step_id, move = rule.card(state, owed)
        if move in moves or framework_id not in library.frameworks:
            continue
        moves.add(move)
        out.append(suggestion(library.framework(framework_id), step_id, owed.why, state.ideas, slots, conditions))
    state.ideas.keep_only({(s.framework, s.step) for s in out})  # a card no longer shown loses its ideas
    return out


def feeling(state: ConversationState) -> str:
    label = state.last_customer.state.label if state.last_customer else "neutral"
    return FEELING[label] if label in UPSET_STATES else "upset"
