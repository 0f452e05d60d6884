"""The checks a rubric's criteria name: each reads one finished conversation, as the coaching engine
analysed it turn by turn, and returns an outcome, the share of the criterion earned and the evidence.

A check never re-reads the text with rules of its own: it counts what the engine found (customer cues
and states, agent flags and moves, the ledger of what was owed and when it was settled), so the QA
score and the live sidebar agree on what happened.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.coaching.analysis import AgentSentence, Span, TurnAnalysis
from app.coaching.conversation import Conversation
from app.coaching.state import LEARN, ConversationState
from app.coaching.text import says_contacted_before
from app.qa.models import Evidence, Outcome

ESCALATION_CUES = frozenset({"escalation"})
TRANSFER_MOVES = frozenset({"warm_transfer", "cold_transfer"})
EFFORT_CUES = {
    "repeated_question": "asked the same question again",
    "repeat_story": "had to retell their story",
    "waiting": "complained of waiting or of contacting us again",
}
REPEAT_CONTACT_CUES = frozenset({"waiting", "repeat_story"})
# The words that confirm a move by meaning where a QA verdict rests on it: a transfer says who it goes to.
# (A repeat contact is confirmed by `app.coaching.text.says_contacted_before`.)
TRANSFER = re.compile(
    r"\b(transfer\w*|connect\w* you|put (you|this) through|pass\w* (you|this|it|your \w+) (on |over |across )?to|"
    r"hand\w* (you|this|it) over|escalat\w*|refer\w* (you|this|it)|(bring|brought|joining)\w*|"
    r"(the|our|a) \w+ team (will|'ll) (take over|call|contact|be in touch))\b",
    re.I,
)
# Work the customer waits on after the chat: handed on to someone (a team investigates, a case is open),
# said by a sentence that acts, sets a timeline, follows up or hands over (meaning), in words that say the
# work is still open (pattern: precision, since a wrong fail costs a QA lead's trust).
PENDING_MOVES = frozenset({"action", "timeline", "follow_up", "warm_transfer", "cold_transfer"})
HANDED_ON = re.compile(
    r"\b((raised|opened|logged|created|escalated|submitted|filed|passed)( (it|this|that))? (a |an |the |your )?"
    r"(ticket|case|fault|complaint|investigation|claim|request|report|escalation|trace|dispute)|"
    r"(escalated|passed|referred|sent|forwarded|handed) (it |this |that |your \w+ )?(on |over )?to|"
    r"(team|engineers?|technicians?|specialists?|department|colleagues?|manager|supervisor|carrier|courier|"
    r"partner|warehouse)s? (will|'ll|is going to|are going to|is|are) (now )?(look|investigat|review|check|"
    r"contact|call|get back|be in touch|work|assess|process|trac)|"
    r"(still|currently) (investigating|being investigated|in progress|pending|open|under review|waiting)|"
    r"waiting (on|for) (the|our|a) \w+ (team|department|partner|carrier|courier|engineer))",
    re.I,
)
COMMITMENT_MOVES = frozenset({"timeline", "follow_up", "warm_transfer", "action"})
RATE_MIN_WORDS = 4
# The next contact, and a time for it, in one sentence: an update the customer can hold us to ("I'll email
# you by Friday"), not a process time ("refunds take 5-7 days") nor an open promise ("we'll get back to you").
NEXT_CONTACT = re.compile(
    r"\b(update you|updates?|keep you (posted|updated|informed)|let you know|get back to you|hear (back )?from "
    r"(us|me|them|the team)|(email|call|text|message|contact|ring|phone) you|check (in|back)|follow(ing)? up|"
    r"(send|give) you an? (update|message|email|call|text))\b",
    re.I,
)
NAMED_TIME = re.compile(
    r"\b((by|before|within|in the next|on|at|until|no later than) (\d|tomorrow|today|tonight|this (afternoon|"
    r"evening|week)|monday|tuesday|wednesday|thursday|friday|saturday|sunday|end of|the end of|close of|noon|midday)|"
    r"tomorrow|tonight|\d+ ?(am|pm|hours?|hrs?|days?|working days|business days|minutes?|mins?|weeks?)|"
    r"\d{1,2}[:.]\d{2}|(monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)


@dataclass
class Scored:
    """A conversation the engine has analysed: what the checks read."""

    conversation: Conversation
    analyses: list[TurnAnalysis]
    state: ConversationState

    def agent_sentences(self) -> list[tuple[int, AgentSentence]]:
        return [(a.index, s) for a in self.analyses if a.agent for s in a.agent.sentences]

    def cues(self, kinds: frozenset[str] | set[str] | None = None) -> list[tuple[int, Any]]:
        return [
            (a.index, c)
            for a in self.analyses
            if a.customer
            for c in a.customer.cues
            if kinds is None or c.kind in kinds
        ]

    def flags(self, kinds: set[str]) -> list[tuple[int, Any]]:
        return [(a.index, f) for a in self.analyses if a.agent for f in a.agent.flags if f.kind in kinds]

    def robotic_starts(self) -> set[tuple[int, int]]:
        """(turn, sentence start) of every agent sentence the robotic check flagged."""
        return {(i, f.span.start) for i, f in self.flags({"robotic"})}

    def substantive_agent_sentences(self) -> list[tuple[int, AgentSentence]]:
        """Agent sentences that say something: no required disclosure, no "Hi!" or "Thanks." (a short
        line may be stock and still fine)."""
        return [
            (i, s) for i, s in self.agent_sentences() if not s.compliance and len(s.span.text.split()) >= RATE_MIN_WORDS
        ]

    def robotic_sentences(self) -> list[tuple[int, AgentSentence, str]]:
        """The substantive agent sentences read as robotic or templated, with which."""
        robotic = self.robotic_starts()
        return [
            (i, s, "robotic" if (i, s.span.start) in robotic else "templated")
            for i, s in self.substantive_agent_sentences()
            if s.templated.flag or (i, s.span.start) in robotic
        ]

    def upset_turns(self) -> list[int]:
        return [a.index for a in self.analyses if a.customer and a.customer.upset]

    def moves_at(self, moves: frozenset[str]) -> list[tuple[int, AgentSentence]]:
        return [(i, s) for i, s in self.agent_sentences() if not s.compliance and moves & set(s.moves)]

    def transfers(self, moves: frozenset[str] = TRANSFER_MOVES) -> list[tuple[int, AgentSentence]]:
        """Sentences that hand the customer over: by meaning, in words that say so."""
        return [(i, s) for i, s in self.moves_at(moves) if TRANSFER.search(s.span.text)]

    def escalation_turn(self) -> int | None:
        """The first turn where the customer asked for escalation or the agent transferred them."""
        asked = [i for i, _ in self.cues(ESCALATION_CUES)]
        moved = [i for i, _ in self.transfers()]
        return min(asked + moved, default=None)

    def repeat_contact(self) -> list[tuple[int, Any]]:
        """Cues of waiting or retelling, by meaning, in a turn that says they were in touch before."""
        texts = {i: t.text for i, t in enumerate(self.conversation.turns)}
        return [(i, c) for i, c in self.cues(REPEAT_CONTACT_CUES) if says_contacted_before(texts[i])]


@dataclass
class Finding:
    outcome: Outcome
    reason: str
    share: float = 1.0  # of the criterion's weight earned (weighted criteria); 0..1
    evidence: list[Evidence] = field(default_factory=list)


def _evidence(turn: int, role: str, span: Span | None, note: str) -> Evidence:
    return Evidence(turn=turn, role=role, span=span, note=note)


def _one(outcome: Outcome, reason: str, turn: int, role: str, span: Span | None, note: str) -> Finding:
    """A pass (full share) or a fail (none) resting on one piece of evidence."""
    return Finding(outcome, reason, 1.0 if outcome == "pass" else 0.0, [_evidence(turn, role, span, note)])


def _na(reason: str) -> Finding:
    return Finding("na", reason, 0.0)


Check = Callable[[Scored, dict[str, Any]], Finding]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        CHECKS[name] = function
        return function

    return register


@check("empathy_before_solution")
def empathy_before_solution(scored: Scored, params: dict[str, Any]) -> Finding:
    """An upset customer hears their feeling acknowledged before steps or fixes."""
    if not scored.upset_turns():
        return _na("the customer was never upset")
    flagged = scored.flags({"solution_before_empathy"})
    if flagged:
        evidence = [_evidence(i, "agent", f.span, f.reason) for i, f in flagged]
        return Finding("fail", f"solution before empathy in {len(flagged)} turn(s)", 0.0, evidence)
    # A stock line ("I'm sorry to hear that.", "I understand your concern.") acknowledges no one: it must
    # not read as templated or robotic, nor as a stock apology.
    robotic = scored.robotic_starts()
    acknowledged = [
        (i, s)
        for i, s in scored.moves_at(frozenset({"acknowledge_feeling", "apology"}))
        if "stock_apology" not in s.moves and not s.templated.flag and (i, s.span.start) not in robotic
    ]
    if not acknowledged:
        first = scored.upset_turns()[0]
        reason = "the customer was upset and their feeling was never acknowledged in their own terms"
        return _one("fail", reason, first, "customer", None, "upset, never acknowledged")
    i, sentence = acknowledged[0]
    return _one("pass", "the feeling was acknowledged before the fix", i, "agent", sentence.span, "acknowledged")


@check("learn_coverage")
def learn_coverage(scored: Scored, params: dict[str, Any]) -> Finding:
    """The share of the L.E.A.R.N. steps this conversation called for that the agent covered.
    Empathize and Apologize are called for only when the customer was upset or owed an apology."""
    owed = {"listen", "resolve", "note"}
    if scored.upset_turns():
        owed.add("empathize")
    if "apology" in scored.state.ledger.owed_ever:
        owed.add("apologize")
    if not any(a.agent for a in scored.analyses):
        return _na("the agent never spoke")
    covered_at: dict[str, int] = {}
    for analysis in scored.analyses:
        for step in analysis.agent.learn_steps if analysis.agent else ():
            covered_at.setdefault(step, analysis.index)
    steps = [s for s in LEARN if s in owed]
    covered = [s for s in steps if s in covered_at]
    share = len(covered) / len(steps)
    evidence = [_evidence(covered_at[s], "agent", None, f"{s} covered") for s in covered]
    missing = [s for s in steps if s not in covered_at]
    reason = f"{len(covered)} of {len(steps)} steps covered" + (f"; missing {', '.join(missing)}" if missing else "")
    return Finding("pass" if share >= params.get("min_share", 0.6) else "fail", reason, share, evidence)


@check("robotic_rate")
def robotic_rate(scored: Scored, params: dict[str, Any]) -> Finding:
    """The share of agent sentences that read robotic or templated (required disclosures excluded)."""
    sentences = scored.substantive_agent_sentences()
    if not sentences:
        return _na("the agent said nothing of substance")
    hits = scored.robotic_sentences()
    rate = len(hits) / len(sentences)
    limit = float(params.get("max_rate", 0.3))
    evidence = [_evidence(i, "agent", s.span, which) for i, s, which in hits]
    # Full marks up to the limit, none at twice it: one stock line in a long chat costs little.
    share = 1.0 if rate <= limit else max(0.0, 1.0 - (rate - limit) / limit)
    reason = f"{len(hits)} of {len(sentences)} agent sentences robotic or templated ({rate:.0%}; limit {limit:.0%})"
    return Finding("pass" if rate <= limit else "fail", reason, share, evidence)


def _flag_check(kind: str, what: str, clean: str) -> Check:
    def run(scored: Scored, params: dict[str, Any]) -> Finding:
        if not any(a.agent for a in scored.analyses):
            return _na("the agent never spoke")
        flagged = scored.flags({kind})
        if not flagged:
            return Finding("pass", clean, 1.0)
        evidence = [_evidence(i, "agent", f.span, f.reason) for i, f in flagged]
        return Finding("fail", f"{what} in {len(flagged)} sentence(s)", 0.0, evidence)

    return run


CHECKS["policy_over_people"] = _flag_check(
    "policy_over_people", "policy put before the person", "no policy put before the person"
)
CHECKS["repeat_ask"] = _flag_check(
    "repeat_ask", "the customer asked to repeat what they had said", "the customer was never asked to repeat"
)


@check("next_update_commitment")
def next_update_commitment(scored: Scored, params: dict[str, Any]) -> Finding:
    """When work is left pending (handed on: a team investigates, a case is open; or a delay was
    reported), the agent says when the customer will hear next. Pending work and the
    commitment are read by meaning (the agent-move classifier); the commitment must also name the next
    contact and its time (patterns add the precision: "a new card will be sent within 5 days" is a
    timeline, not an update the customer can hold us to)."""
    committed = [
        (i, s)
        for i, s in scored.moves_at(COMMITMENT_MOVES)
        if NEXT_CONTACT.search(s.span.text) and NAMED_TIME.search(s.span.text)
    ]
    if committed:  # a dated next contact is the commitment, whatever it is about
        i, sentence = committed[0]
        return _one("pass", "the agent said when the customer will hear next", i, "agent", sentence.span, "commitment")
    pending = [(i, s) for i, s in scored.moves_at(PENDING_MOVES) if HANDED_ON.search(s.span.text)]
    if not pending and "status_update" not in scored.state.ledger.owed_ever:
        return _na("nothing was left pending")
    i, sentence = pending[-1] if pending else (scored.analyses[-1].index, None)
    reason = "work was left pending with no time for the next update"
    return _one("fail", reason, i, "agent", sentence.span if sentence else None, "pending, no next update")


@check("warm_transfer")
def warm_transfer(scored: Scored, params: dict[str, Any]) -> Finding:
    """An escalation or a transfer is handed over warm: the customer told who and what was passed on."""
    asked = scored.cues(ESCALATION_CUES)
    transfers = scored.transfers()
    if not asked and not transfers:
        return _na("no escalation or transfer")
    warm = scored.transfers(frozenset({"warm_transfer"}))
    if warm or scored.state.covered("warm_transfer", "summary"):
        i, sentence = warm[0] if warm else (transfers[0][0] if transfers else asked[0][0], None)
        return _one("pass", "a warm handover", i, "agent", sentence.span if sentence else None, "warm")
    if transfers:
        i, sentence = transfers[0]
        reason = "transferred cold: no summary, no word of who is next"
        return _one("fail", reason, i, "agent", sentence.span, "cold transfer")
    i, cue = asked[0]
    return _one("fail", "escalation asked for and never handed over", i, "customer", cue.span, cue.reason)


@check("closing_the_loop")
def closing_the_loop(scored: Scored, params: dict[str, Any]) -> Finding:
    """After a fix, a promise to follow up or a note of the root cause (seed article: Mistake 5)."""
    fixes = scored.moves_at(frozenset({"action"}))
    if not fixes:
        return _na("no fix was offered")
    follow = scored.moves_at(frozenset({"follow_up"}))
    framework = scored.state.framework_steps.get("closing_loop", set())
    if follow or framework:
        i, sentence = follow[0] if follow else (fixes[-1][0], None)
        span = sentence.span if sentence else None
        return _one("pass", "a follow-up or root-cause note", i, "agent", span, "loop closed")
    return Finding("fail", "no follow-up or root-cause note after the fix", 0.0)


@check("sentiment_trajectory")
def sentiment_trajectory(scored: Scored, params: dict[str, Any]) -> Finding:
    """The customer ends no worse than they started (sentiment: positive minus negative, -1..1).
    Earns in proportion to where the customer ends, from -1 (nothing) to `good_end` and above (all)."""
    customer = [a for a in scored.analyses if a.customer]
    points = scored.state.sentiment_points
    if len(points) < 2:
        return _na("fewer than two customer turns")
    start, end = points[0], points[-1]
    good_end = float(params.get("good_end", 0.0))
    share = min(1.0, max(0.0, (end + 1.0) / (good_end + 1.0)))
    worse = end < start - float(params.get("tolerance", 0.2))
    outcome: Outcome = "fail" if worse or end < float(params.get("fail_below", -0.5)) else "pass"
    evidence = [
        _evidence(customer[0].index, "customer", None, f"starts at {start:+.2f}"),
        _evidence(customer[-1].index, "customer", None, f"ends at {end:+.2f}"),
    ]
    return Finding(outcome, f"sentiment {start:+.2f} → {end:+.2f}", share, evidence)


@check("customer_effort")
def customer_effort(scored: Scored, params: dict[str, Any]) -> Finding:
    """The customer did not have to ask twice, retell their story or chase us again."""
    found = scored.cues(frozenset(EFFORT_CUES))
    if not any(a.customer for a in scored.analyses):
        return _na("the customer never spoke")
    if not found:
        return Finding("pass", "no sign of extra effort", 1.0)
    evidence = [_evidence(i, "customer", c.span, EFFORT_CUES[c.kind]) for i, c in found]
    allowed = int(params.get("allowed", 0))
    share = max(0.0, 1.0 - (len(found) - allowed) / 3)
    return Finding("fail" if len(found) > allowed else "pass", f"{len(found)} sign(s) of extra effort", share, evidence)


@check("left_unresolved")
def left_unresolved(scored: Scored, params: dict[str, Any]) -> Finding:
    """An upset customer leaves with nothing concrete offered: still upset in their last turn, and the
    resolution they were owed never settled by an action or a timeline."""
    if not scored.upset_turns():
        return _na("the customer was never upset")
    owed = scored.state.ledger.open.get("resolution")
    if owed is None:
        return Finding("pass", "something concrete was offered", 1.0)
    last = next(a for a in reversed(scored.analyses) if a.customer)
    if not (last.customer and last.customer.upset):
        # The customer ends calm or thankful: whatever the ledger missed, they were not left with nothing.
        return Finding("pass", "the customer ends no longer upset", 1.0)
    reason = "the customer was upset and nothing concrete was offered by the end"
    return _one("fail", reason, owed.since, "customer", None, owed.why)
