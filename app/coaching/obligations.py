"""How turns open and settle the customer's obligations (the ledger, `app.coaching.ledger`).

A customer turn opens what it calls for; an agent turn settles what its moves (recognised by
meaning, `app.coaching.moves`) deliver; the customer settles everything by saying it is sorted.
"""

from __future__ import annotations

import re

from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary
from app.coaching.state import ConversationState
from app.coaching.text import (
    FIRST_PERSON,
    SECOND_PERSON,
    names_specifics,
    reports_problem,
    says_contacted_before,
    words,
)
from app.coaching.upset import carries_over, is_settled, is_upset

APOLOGY_STATES = frozenset({"frustration", "anger", "disappointment"})  # anxiety alone calls for empathy
REPEAT_CONTACT = frozenset({"waiting", "repeat_story", "escalation", "repeated_question"})
PLAINLY_CALM = 0.1  # an upset probability below which a reply is calm, whatever came before
ANSWER_MIN_WORDS = 5  # an agent statement this long, after a question, answers it
ANSWER_MOVES = frozenset({"action", "timeline", "listen", "follow_up"})  # a refusal answers nothing
NOT_ANSWERS = frozenset({"greeting", "hold", "closing", "ask_info", "ask_repeat", "stock_apology"})
# Without "you", "I" or the case's particulars, an act or a time describes how things go for anyone
# ("Fare adjustments are reviewed within 3-5 business days").
CASE_MOVES = frozenset({"action", "timeline"})
# A proactive status message: reports a delay or an outage the customer has not asked about.
STATUS = re.compile(
    r"\b(delay(ed|s)?|outage|still (investigating|working on|pending)|taking longer|(now )?estimated (for|at)|"
    r"behind schedule|(service|supply) (disruption|interruption)|known issue|longer than (planned|expected)|"
    r"(planned|unplanned) (maintenance|works))\b",
    re.I,
)
# An update to everyone may apologise in stock words; a follow-up promised is part of the plan.
STATUS_PARTS = {
    "apologize": ("apology", "stock_apology"),
    "action_plan": ("action", "follow_up"),
    "next_update": ("timeline",),
}


def customer_turn(context: TurnContext, state: ConversationState, library: CoachingLibrary, fault: str) -> None:
    """Open what this customer turn calls for. `fault`: who caused what went wrong
    ("company", "external", "customer" or "unknown"): no apology is owed for a storm."""
    ledger, turn = state.ledger, context.index
    assert context.state is not None
    owing = context.owing_cues()  # cues only shown (the whole-turn head's) owe nothing
    kinds = {c.kind for c in owing}
    new_cues = kinds - state.cues_seen
    upset = is_upset(context.state, context.cues, library, context.prediction)
    # A flat reply ("Gemma Rowe, 30/07/1979") keeps an upset customer upset while their feeling is still
    # unacknowledged; once the agent has acknowledged it, a flat reply is taken at its word (calm).
    carried = not upset and ledger.owes("empathy") and carries_over(state.upset, context.state, context.sentiment)
    # Once the agent has acted on their case, a reply the model reads as plainly calm ("Still more than
    # HomeSure. Can you match £225?") is taken at its word too: the conversation has moved on.
    calm = context.prediction is not None and context.prediction.upset.probability < PLAINLY_CALM
    carried = carried and not (calm and ledger.ever_settled("resolution"))
    state.upset = upset or carried
    state.cues_seen |= kinds
    if is_settled(context.state, upset, context.sentiment) or ("settled" in kinds and not upset):
        ledger.settle_all(turn)
    elif not state.upset:  # calm again: acknowledging a feeling that has passed would ring false
        for kind in ("empathy", "apology", "boundary", "listen"):
            ledger.drop(kind)  # not settled: an upset later is still owed its first acknowledgement
    if "abuse" not in kinds:
        ledger.settle("boundary", turn)  # calmer now: no boundary to set
    why = _why(context, library)
    # An apology is owed for what we did (a company fault, making them wait or repeat themselves);
    # for a storm, their own device, or a cause nobody has named yet, empathy without blame.
    apology_ok = fault == "company" or bool(kinds & {"waiting", "repeat_story"})
    # Empathy is owed per upset turn until the agent has given it; once given, only a new upset cue
    # (a new complaint, a retelling, a threat) owes it again: one acknowledgement per grievance, not per turn.
    again = not ledger.ever_settled("empathy") or bool(new_cues & set(library.cue_definitions))
    if upset and again:
        ledger.owe("empathy", turn, why)
        if apology_ok and (context.state.label in APOLOGY_STATES or kinds & {"waiting", "repeat_story", "complaint"}):
            ledger.owe("apology", turn, why)
    if upset and not ledger.ever_settled("resolution"):
        ledger.owe("resolution", turn, why)
    definitions = library.cue_definitions
    for cue in owing:
        definition = definitions.get(cue.kind)
        for owed in definition.owes if definition else ():
            if owed == "apology" and not apology_ok:
                continue
            ledger.owe(owed, turn, f'{cue.reason}: "{cue.span.text}"')
    if kinds & {"repeated_question", "repeat_story"}:
        ledger.owe("listen", turn, why)
    # A plain question is the agent's next reply, not a card; one asked again, or by an upset customer, is.
    if context.questions() and (upset or "repeated_question" in kinds):
        ledger.owe("answer", turn, "their question is not answered yet: answer it with specifics")


def agent_turn(context: TurnContext, state: ConversationState) -> None:
    """Settle what this agent turn's moves deliver (a robotic line delivers nothing)."""
    ledger, turn = state.ledger, context.index
    acknowledged_before = ledger.ever_settled("empathy")  # in an earlier turn, not by this one
    # A robotic line delivers nothing, nor does a rule hidden behind (a refusal resolves nothing).
    hollow = [(f.span.start, f.span.end) for f in context.flags if f.kind in {"robotic", "policy_over_people"}]
    delivered: set[str] = set()
    announced: set[str] = set()  # what a status update to everyone says: "Next update by 6pm" is its time
    for reading, span, disclosure in zip(context.moves, context.sentences, context.compliance, strict=True):
        if disclosure or any(start <= span.start < end for start, end in hollow):
            continue
        moves = set(reading.moves)
        announced |= moves
        if moves & CASE_MOVES and not _about_their_case(span.text):
            moves -= CASE_MOVES
        delivered.update(moves)
        if state.details.personal(span.text) and not reading.makes("ask_info", "ask_repeat"):
            delivered.add("listen")  # their own specifics played back: they were heard
        if _answers(span.text, reading.moves):
            delivered.add("answer")
    if any(f.kind == "repeat_ask" for f in context.flags):
        # Asked for what they already gave: the next turn should show it was heard (play it back, own the slip).
        ledger.owe("listen", turn, "asked for a detail they already gave: show them you have it")
    if delivered & {"acknowledge_feeling", "apology"}:
        ledger.settle("empathy", turn)
    if "apology" in delivered:
        ledger.settle("apology", turn)
    if "listen" in delivered:
        ledger.settle("listen", turn)
    if "boundary" in delivered:
        ledger.settle("boundary", turn)
    if delivered & {"warm_transfer", "cold_transfer"}:
        ledger.settle("handoff", turn)
    if delivered & {"action", "timeline"}:
        if acknowledged_before:
            # Acknowledged in an earlier turn: renewed frustration is about progress, and progress answers
            # it. An acknowledgement in this same turn settles no apology beside an action.
            ledger.settle("empathy", turn)
            ledger.settle("apology", turn)
        resolved = ledger.settle("resolution", turn)
        ledger.settle("answer", turn)
        # A follow-up is owed to a customer who came back about this: a cue by meaning, confirmed by
        # their words (waiting on a delivery, or "as I said" within this chat, is no repeat contact).
        came_back = state.cues_seen & REPEAT_CONTACT and says_contacted_before(state.customer_text)
        if resolved and came_back and not ledger.ever_settled("follow_up"):
            ledger.owe("follow_up", turn, "they had to come back about this: note it and say when you'll check back")
    if "answer" in delivered:
        ledger.settle("answer", turn)
    if "follow_up" in delivered:
        ledger.settle("follow_up", turn)
    _status_update(context, state, delivered | announced)


def _status_update(context: TurnContext, state: ConversationState, delivered: set[str]) -> None:
    """A proactive update (the agent speaks first or again, not in reply) that reports a delay is
    checked against the proactive-update formula; later agent turns can complete it."""
    ledger = state.ledger
    current = ledger.open.get("status_update")
    if current is not None and state.previous_role() == "customer":
        ledger.settle("status_update", context.index)  # the customer replied: the chat has moved on
        return
    if current is None:
        first_word = not any(t.role == "customer" for t in state.turns)  # nobody has asked anything yet
        if state.previous_role() == "customer" or not (
            STATUS.search(context.text) or (first_word and reports_problem(context.text))
        ):
            return  # a reply, not a proactive update
        parts = tuple(step for step, moves in STATUS_PARTS.items() if not delivered & set(moves))
    else:
        parts = tuple(step for step in current.parts if not delivered & set(STATUS_PARTS[step]))
    if parts:
        names = ", ".join(p.replace("_", " ") for p in parts)
        ledger.owe("status_update", context.index, f"the last status update has no {names}", parts)
    else:
        ledger.settle("status_update", context.index)


def _about_their_case(text: str) -> bool:
    """An act or a time for this customer: said in the agent's voice, to them, or naming the case's particulars."""
    return bool(FIRST_PERSON.search(text) or SECOND_PERSON.search(text) or names_specifics(text))


def _answers(text: str, moves: tuple[str, ...]) -> bool:
    """A statement of some length that is not a question back, a greeting, a hold or a closing."""
    if "?" in text or len(words(text)) < ANSWER_MIN_WORDS or set(moves) & NOT_ANSWERS:
        return False
    return not moves or bool(set(moves) & ANSWER_MOVES)


def _why(context: TurnContext, library: CoachingLibrary) -> str:
    """The evidence a card shows: the customer's own words that made them upset, before the model's reading."""
    definitions = library.cue_definitions
    worded = [c for c in context.cues if c.kind in definitions and definitions[c.kind].upset]
    cue = next(iter(worded), None) or next((c for c in context.cues if c.severity != "info"), None)
    if cue is not None:
        return f'{cue.reason}: "{cue.span.text}"'
    assert context.state is not None
    return f"customer reads as {context.state.describe()}"
