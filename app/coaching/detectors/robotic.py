"""Robotic: a canned line (stock library, macro) that is tone-deaf to this upset customer: a
stock apology, acknowledgement, thanks or closing that says nothing of their specifics (their
order, product, amount, date, what went wrong), not merely a word they also used."""

from __future__ import annotations

import re

from app.coaching.analysis import AgentFlag, Span
from app.coaching.context import TurnContext
from app.coaching.learn import FEELING
from app.coaching.sincerity import NON_APOLOGY, canned, generic_apology, sincere_acknowledgement
from app.coaching.state import ConversationState
from app.coaching.text import FIRST_PERSON, INSTRUCTION, names_specifics, words

MIN_WORDS = 4
# The head spreads a heartfelt line thin ("I'm really sorry to hear about your mother, ..." reads closing
# 0.26, acknowledgement 0.20, apology 0.11): the two together from this much make it one, unless it reads
# as a stock or non-apology and names nothing of theirs.
FEELING_MASS = 0.3
NOT_SINCERE = frozenset({"non_apology", "stock_apology"})
OWN_WORDS = 8  # an acknowledgement this long, not canned, is the agent's own (a stock one is canned)
# Lines that are tone-deaf to an upset customer when canned: a stock opener, thanks or sign-off, a stock
# acknowledgement; a stock apology or a non-apology is tone-deaf canned or not.
CANNED_MOVES = frozenset({"closing", "acknowledge_feeling", "hold"})
SURE_NON_APOLOGY = 0.6  # "Sorry, I should have been clearer" is an apology the head may half-read as one
ROBOTIC_CATEGORIES = frozenset({"stock_apology", "stock_empathy", "stock_thanks", "closing"})
# The script's opening question to a customer who has already told their story (after a transfer, or to
# an upset first message): "Hi, you're through to Finance. How can I help you today?"
HOW_CAN_I_HELP = re.compile(r"\b(how (can|may) I (help|assist)|what can I (do|help) (for|with))\b", re.I)
PASTED_BETTER_MOVE = "Acknowledge what happened to them first, then say what you'll do about it, in your own words."
# Moves that, said with this customer's specifics, show the turn deals with their case (acknowledged,
# apologised for, acted on, given a time): a stock thanks or sign-off beside them is routine, not robotic.
ADDRESSES_THEIR_CASE = ("acknowledge_feeling", "apology", "action", "timeline")
# The agent reports what they found in this customer's case ("I can see the case is still with the
# underwriter", "the payment file we sent on your behalf was rejected", "your booking has been moved"):
# a rule beside it explains their case, it is not recited at them.
FINDING = re.compile(
    r"\b(I can see|I('ve| have) (checked|looked|found|confirmed)|I see (that|your)|on your behalf|"
    r"your (account|order|booking|case|card|claim|parcel|payment|application|file|bill|unit|ride|trip|reservation|"
    r"subscription|policy|refund|repair|device|ticket) (has|had|was|were|is|shows|showed)\b)",
    re.I,
)


class RoboticDetector:
    """Runs after the templated detector: it reads its scores and each sentence's nearest stock phrase."""

    name = "robotic"
    role = "agent"
    needs = frozenset({"vectors", "moves"})

    @staticmethod
    def _deals_with_their_case(context: TurnContext, state: ConversationState, i: int) -> bool:
        """Sentence `i`, in words of its own (not a stock line or a macro), names the case's particulars
        (a reference, an amount, a date); or acknowledges or apologises at length in the agent's own
        voice; or acknowledges, apologises, acts or gives a time with this customer's specifics."""
        reading, span = context.moves[i], context.sentences[i]
        if NON_APOLOGY.search(span.text) or generic_apology(context, state, i):
            return False
        feeling = reading.makes("acknowledge_feeling", "apology")
        heartfelt = feeling or (
            reading.scores.get("acknowledge_feeling", 0.0) + reading.scores.get("apology", 0.0) >= FEELING_MASS
            # "I'm sorry to hear you feel that way" is no acknowledgement; "I'm sorry, missing your daughter's
            # birthday dinner is a real shame", read as one by the head, names what happened to them
            and (reading.top() not in NOT_SINCERE or state.details.personal(span.text))
        )
        if canned(context, i):
            return False
        if names_specifics(span.text) or FINDING.search(span.text):
            return True  # whatever it does, it speaks of this case ("On 14 March your car was full at 21:52")
        if reading.top() not in ADDRESSES_THEIR_CASE and not heartfelt:
            return False
        if heartfelt and len(words(span.text)) >= OWN_WORDS and FIRST_PERSON.search(span.text):
            # An acknowledgement or apology in the agent's own voice and words ("I'm really sorry to hear
            # about your mother"), where a macro speaks for the company ("We're sorry your order ...").
            return True
        # An act or a time is theirs when the agent does it ("I've marked module 9 complete"); a process
        # described for anyone ("The certificate is generated once ...") shares their words, not their case.
        acts = feeling or FIRST_PERSON.search(span.text) is not None
        return acts and state.details.personal(span.text)

    @staticmethod
    def _pasted_answer(context: TurnContext, state: ConversationState) -> int | None:
        """The sentence of a turn that answers an upset customer, not yet acknowledged, with nothing but
        boilerplate: instructions said to anyone (no "I", none of the case's particulars) beside at most a
        greeting or a stock line. A turn with a sincere acknowledgement or apology is not one."""
        if not state.ledger.owes("empathy") or any(
            sincere_acknowledgement(context, state, i) for i in range(len(context.sentences))
        ):
            return None
        for i, span in enumerate(context.sentences):
            if context.compliance[i] or names_specifics(span.text):
                continue
            if not FIRST_PERSON.search(span.text) and INSTRUCTION.search(span.text):
                return i
        return None

    def run(self, context: TurnContext, state: ConversationState) -> list[AgentFlag]:
        if not state.upset:
            return []
        feeling = FEELING.get(state.last_customer.state.label, "upset") if state.last_customer else "upset"
        if any(self._deals_with_their_case(context, state, i) for i in range(len(context.sentences))):
            return []  # the turn deals with this customer's own case: a stock line beside it is not what it relies on
        pasted = self._pasted_answer(context, state)
        if pasted is not None:
            return [
                AgentFlag(
                    kind="robotic",
                    # From the first pasted line to the end: the whole answer is boilerplate and delivers nothing.
                    span=Span(
                        start=context.sentences[pasted].start,
                        end=context.sentences[-1].end,
                        text=context.text[context.sentences[pasted].start : context.sentences[-1].end],
                    ),
                    reason=f"boilerplate as the whole answer to a customer who is {feeling}, nothing about their case",
                    better_move=PASTED_BETTER_MOVE,
                )
            ]
        flags = []
        for i, span in enumerate(context.sentences):
            if context.compliance[i] or state.details.personal(span.text):
                continue
            category = context.stock_category[i] if context.stock_category else None
            generic = generic_apology(context, state, i)
            if context.moves[i].makes("apology") and context.moves[i].top() != "stock_apology" and not generic:
                continue  # a sincere apology near a stock one in wording is still an apology
            is_canned = canned(context, i)
            stock_line = is_canned and category in ROBOTIC_CATEGORIES
            if len(words(span.text)) < MIN_WORDS and not (stock_line or generic):
                continue  # "Hi Ann!", "Sure." are routine, not a script; "I completely understand." is one
            canned_move = is_canned and context.moves[i].makes(*CANNED_MOVES)
            reading = context.moves[i]
            stock_apology = reading.top() == "stock_apology" or (
                reading.top() == "non_apology" and reading.scores.get("non_apology", 0.0) >= SURE_NON_APOLOGY
            )
            stock_apology = (stock_apology and not reading.makes("apology")) or generic
            # A rule recited at an upset customer with nothing of their case is boilerplate too.
            recited = reading.top() == "refusal"
            opener = bool(HOW_CAN_I_HELP.search(span.text)) and state.details.explained
            if stock_line or canned_move or stock_apology or recited or opener:
                if stock_line:
                    what = category or ""
                elif recited:
                    what = "policy recital"
                elif opener:
                    what = "a scripted opener"
                else:
                    what = reading.top()
                what = what.replace("_", " ")
                flags.append(
                    AgentFlag(
                        kind="robotic",
                        span=span,
                        reason=f"{what} to a customer who is {feeling}, with nothing about what they said",
                        better_move="Say what happened to them and what you'll do, in your own words.",
                    )
                )
        return flags
