"""Label spaces of the Coachline emotion model and how they derive from GoEmotions.

GoEmotions gives 28 fine-grained labels.  The coach needs two coarser views that every
later feature reads: a 3-way sentiment and a 7-way customer state.  Both are *learned*
(softmax heads trained jointly with the 28-label head) from targets derived here, so
the mapping is data, in one place, and the model card can quote it.
"""

from __future__ import annotations

from collections.abc import Sequence

GOEMOTIONS_LABELS: tuple[str, ...] = (
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
)

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")

CUSTOMER_STATES: tuple[str, ...] = (
    "neutral",
    "satisfied",
    "confusion",
    "disappointment",
    "frustration",
    "anger",
    "anxiety",
)

# The states in which a customer is upset: the engine's one definition of upset falls back to
# these when an artifact has no upset head, and training derives GoEmotions' upset targets from them.
UPSET_STATES: tuple[str, ...] = ("frustration", "anger", "disappointment", "anxiety")

# GoEmotions' own sentiment grouping (Demszky et al., 2020); "ambiguous" counts as neutral.
SENTIMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "positive": (
        "amusement",
        "excitement",
        "joy",
        "love",
        "desire",
        "optimism",
        "caring",
        "pride",
        "admiration",
        "gratitude",
        "relief",
        "approval",
    ),
    "negative": (
        "fear",
        "nervousness",
        "remorse",
        "embarrassment",
        "disappointment",
        "sadness",
        "grief",
        "disgust",
        "anger",
        "annoyance",
        "disapproval",
    ),
    "neutral": ("realization", "surprise", "curiosity", "confusion", "neutral"),
}

# Ekman's six plus neutral, as in the GoEmotions paper.
EKMAN_GROUPS: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": (
        "joy",
        "amusement",
        "approval",
        "excitement",
        "gratitude",
        "love",
        "optimism",
        "relief",
        "pride",
        "admiration",
        "desire",
        "caring",
    ),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}

# Customer state in a support chat.  Curiosity counts as confusion because in support a
# customer's open question ("how does this plan work?") is the cue to explain plainly;
# annoyance/disapproval are the everyday face of frustration; remorse and embarrassment are
# the customer being polite ("sorry to bother you"), not a state to coach on.
STATE_GROUPS: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "disgust"),
    "frustration": ("annoyance", "disapproval"),
    "disappointment": ("disappointment", "sadness", "grief"),
    "anxiety": ("nervousness", "fear"),
    # Curiosity is a question asked with interest: neutral (the engine gives it a `question` cue).
    # Confusion needs signs of not understanding; support turns labelled so teach the difference.
    "confusion": ("confusion",),
    "satisfied": (
        "gratitude",
        "joy",
        "admiration",
        "approval",
        "love",
        "relief",
        "optimism",
        "amusement",
        "excitement",
        "pride",
        "caring",
    ),
    "neutral": ("neutral", "curiosity", "realization", "surprise", "desire", "remorse", "embarrassment"),
}
# When a text carries several labels the most actionable state wins.
STATE_PRIORITY: tuple[str, ...] = (
    "anger",
    "frustration",
    "disappointment",
    "anxiety",
    "confusion",
    "satisfied",
    "neutral",
)

_STATE_OF = {label: state for state, labels in STATE_GROUPS.items() for label in labels}
_SENTIMENT_OF = {label: s for s, labels in SENTIMENT_GROUPS.items() for label in labels}

assert set(_STATE_OF) == set(GOEMOTIONS_LABELS)
assert set(_SENTIMENT_OF) == set(GOEMOTIONS_LABELS)


def state_target(labels: Sequence[str]) -> str:
    """The customer state a set of GoEmotions labels stands for (highest priority wins)."""
    states = {_STATE_OF[label] for label in labels}
    return next((s for s in STATE_PRIORITY if s in states), "neutral")


def sentiment_target(labels: Sequence[str]) -> str:
    """Majority polarity of the labels; a tie or no polar label is neutral."""
    pos = sum(_SENTIMENT_OF[label] == "positive" for label in labels)
    neg = sum(_SENTIMENT_OF[label] == "negative" for label in labels)
    if pos > neg:
        return "positive"
    if neg > pos:
        return "negative"
    return "neutral"
