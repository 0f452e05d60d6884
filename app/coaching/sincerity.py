"""Whether an agent's acknowledgement or apology is sincere: the one test the robotic and
solution-before-empathy checks share. (Applied to the ledger too, it kept empathy owed after
"That's a real worry with a client call at 3, sorry you're stuck": cards on quiet turns rose on every
half, so the ledger settles on the move alone, less what is flagged robotic.)"""

from __future__ import annotations

import re

from app.coaching.context import TurnContext
from app.coaching.state import ConversationState
from app.coaching.text import FIRST_PERSON, names_specifics, words

STOCK = 0.5  # library signal from which a sentence reads like a stock line
FEELING_MOVES = ("acknowledge_feeling", "apology")
# The non-apology in its own words, however the head reads it: it regrets the feeling, not what happened.
NON_APOLOGY = re.compile(
    r"\b(sorry|apologi[sz]e)\b[^.!?]{0,20}\b(you feel|you felt|you're feeling|you are feeling|if you)\b", re.I
)


# An apology that names nothing: the formula itself ("Sorry to hear that.", "We apologise for any
# inconvenience caused.", "I'm sorry to hear you are still experiencing issues.") or too short to say what for.
GENERIC_SORRY = re.compile(
    r"\b(sorry|apologi[sz]e|apologies)\b[^.!?]{0,12}\b(to hear|about that|about this|for that|for this|"
    r"for (any|the) (inconvenience|trouble|confusion|delay|wait|frustration|issues?))\b"
    r"|^\W*we('re| are)? (so |very |truly )?(sorry|apologi[sz]e)\b",
    re.I,
)
BARE_APOLOGY_WORDS = 5  # "I'm so sorry about that." says nothing of what happened


def generic_apology(context: TurnContext, state: ConversationState, i: int) -> bool:
    """Sentence `i` apologises in a formula that names nothing of theirs (a reference, an amount, their
    own words): read as an apology by the head, it is still a stock line to an upset customer."""
    reading, text = context.moves[i], context.sentences[i].text
    if names_specifics(text) or state.details.personal(text):
        return False
    # The formula is an apology in words however the head spreads it (non-apology 0.29, apology 0.23, ...).
    return bool(GENERIC_SORRY.search(text)) or (
        reading.makes(*FEELING_MOVES) and len(words(text)) <= BARE_APOLOGY_WORDS
    )


def canned(context: TurnContext, i: int) -> bool:
    """Sentence `i` is canned: flagged templated, or near a stock line of the library."""
    score = context.templated[i] if context.templated else None
    return bool(score and (score.flag or score.signals.get("library", 0.0) >= STOCK))


def sincere_acknowledgement(context: TurnContext, state: ConversationState, i: int) -> bool:
    """Sentence `i` acknowledges or apologises, not as a stock line or a macro, and in the agent's own
    voice or with this customer's specifics: "We're sorry your order wasn't quite right" before pasted
    steps speaks for the company about any order, and settles nothing."""
    reading, span = context.moves[i], context.sentences[i]
    if context.compliance[i] or not reading.makes(*FEELING_MOVES) or NON_APOLOGY.search(span.text):
        return False
    if reading.top() == "stock_apology" or canned(context, i) or generic_apology(context, state, i):
        return False
    return bool(FIRST_PERSON.search(span.text) or names_specifics(span.text) or state.details.personal(span.text))
