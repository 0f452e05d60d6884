"""The one definition of an upset customer, and the customer's state read from the model and
their words together."""

from __future__ import annotations

from collections.abc import Iterable

from app.coaching.analysis import Cue, ScoredLabel
from app.coaching.frameworks import CoachingLibrary
from models.classifier import EmotionPrediction
from models.labels import UPSET_STATES as MODEL_UPSET_STATES

UPSET_STATES = frozenset(MODEL_UPSET_STATES)
THANKS = frozenset({"gratitude", "relief"})  # GoEmotions labels of a customer thanking or relieved
CONFIDENT = 0.4  # a model state counts from this probability (below it the reading is a guess)
# An upset reading this sure holds through a thanks: "... please to return my money. Thank you." is a
# complaint signed off politely, where "fine. thanks i guess" reads far less sure.
SURE_THROUGH_THANKS = 0.9
SATISFIED = 0.5  # "thanks, that's sorted" counts as settling everything from this probability


def confident_state(state: ScoredLabel) -> bool:
    return state.source == "cues" or state.score >= CONFIDENT


def thanks(prediction: EmotionPrediction, cues: Iterable[Cue]) -> bool:
    """Thanks or relief ("fine. thanks i guess", "ok thank you, that will really help"): a customer
    settling, however flat the model reads it; upset then needs an upset cue in their words too."""
    return bool(THANKS & set(prediction.labels)) or any(cue.kind == "settled" for cue in cues)


def is_upset(
    state: ScoredLabel, cues: Iterable[Cue], library: CoachingLibrary, prediction: EmotionPrediction | None = None
) -> bool:
    """Upset: the model's calibrated upset probability at its threshold (coach.json `upset`, chosen
    for recall at high precision), a state the customer's words imply where the model read calm
    (`read_state`), or a cue that makes a customer upset by itself (frameworks/cues.yaml `upset`;
    shouting counts only as capitals, not as '!!'). Without a model reading, a confident upset state."""
    if prediction is not None:
        if prediction.upset.upset and (
            not thanks(prediction, cues) or prediction.upset.probability >= SURE_THROUGH_THANKS
        ):
            return True
    elif state.label in UPSET_STATES and confident_state(state):
        return True
    if state.source == "cues" and state.label in UPSET_STATES:
        return True
    definitions = library.cue_definitions
    for cue in cues:
        if cue.kind in definitions and definitions[cue.kind].upset:
            return True
        if cue.kind == "shouting" and cue.severity != "info":
            return True
    return False


def carries_over(was_upset: bool, state: ScoredLabel, sentiment: ScoredLabel | None) -> bool:
    """An upset customer stays upset through a flat turn ("Gemma Rowe, 30/07/1979", "uploaded",
    "ok. when?"): feelings don't reset because a reply carries only data. Only a positive or
    satisfied turn ends it."""
    positive = sentiment is not None and sentiment.label == "positive"
    return was_upset and state.label not in {"satisfied"} and not positive


def is_settled(state: ScoredLabel, upset: bool, sentiment: ScoredLabel | None = None) -> bool:
    """The customer says it is sorted: not upset, and confidently satisfied or positive (thanks,
    relief, "ok fair enough")."""
    positive = sentiment is not None and sentiment.label == "positive" and sentiment.score >= SATISFIED
    return not upset and ((state.label == "satisfied" and state.score >= SATISFIED) or positive)


def read_state(
    library: CoachingLibrary, prediction: EmotionPrediction, cues: Iterable[Cue]
) -> tuple[ScoredLabel, ScoredLabel]:
    """The customer's state and sentiment: the model's, unless it reads the turn as calm
    (not upset, or unsure) while the customer's words say otherwise; then the state the
    cues imply (frameworks/cues.yaml `implies`), anger when they also abuse or shout."""
    model_state = ScoredLabel(**prediction.customer_state.to_dict())
    model_sentiment = ScoredLabel(**prediction.sentiment.to_dict())
    if model_state.label in UPSET_STATES and model_state.score >= CONFIDENT:
        return model_state, model_sentiment
    definitions = library.cue_definitions
    cues = list(cues)
    implied = {
        c.kind: definitions[c.kind].implies for c in cues if c.kind in definitions and definitions[c.kind].implies
    }
    if not implied:
        return model_state, model_sentiment
    kinds = {c.kind for c in cues}
    shouts = any(c.kind == "shouting" and c.severity != "info" for c in cues)  # capitals, not one word or "!!"
    label = "anger" if "anger" in implied.values() or shouts else next(iter(implied.values()))
    reason = f"{', '.join(sorted(kinds))}; the model read {model_state.describe()}"
    return (
        model_state.model_copy(update={"label": label, "source": "cues", "reason": reason}),
        model_sentiment.model_copy(update={"label": "negative", "source": "cues", "reason": reason}),
    )
