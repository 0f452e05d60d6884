"""The customer's state (the emotion model's, overruled by the cues before it when the model
reads the turn as calm) and, when it is a confident non-neutral one, a cue naming it. A question
asked with interest stays neutral and gets a `question` cue (answer it plainly): confusion needs
signs of not understanding, which the state model learned from support turns labelled so."""

from __future__ import annotations

from app.coaching.analysis import Cue, Span
from app.coaching.context import TurnContext
from app.coaching.frameworks import CoachingLibrary
from app.coaching.state import ConversationState
from app.coaching.upset import UPSET_STATES, confident_state, read_state, thanks
from models.labels import state_target


class CustomerStateDetector:
    """Runs after the cue detectors: it reads their cues."""

    name = "customer_state"
    role = "customer"
    needs = frozenset({"emotions"})

    def __init__(self, library: CoachingLibrary) -> None:
        self.library = library

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        prediction = context.prediction
        if prediction is None:
            return []
        context.state, context.sentiment = read_state(self.library, prediction, context.cues)
        label = context.state.label
        emotions = prediction.emotions
        asked = context.questions()
        if label == "confusion" and emotions.get("curiosity", 0.0) > emotions.get("confusion", 0.0):
            label = "neutral"  # curiosity outweighs confusion: a question asked, not confusion
        if label == "neutral" or not confident_state(context.state):
            return [_question(context, asked[0])] if asked and not prediction.upset.upset else []
        if label == "satisfied":
            return []
        if label in UPSET_STATES and context.state.source == "model" and thanks(prediction, context.cues):
            return []  # a customer thanking is settling ("fine. thanks i guess"): no upset state to name
        severity = "alert" if label == "anger" else "warn" if label in UPSET_STATES else "info"
        if context.state.source == "cues":
            reason = f"customer's words: {context.state.reason}"
        else:
            reason = f"emotion model: {label} {context.state.score:.2f}"
            agreeing = _agreeing_emotions(label, prediction.labels[:3])
            if agreeing:  # the fine labels only where they say the same ("anger (emotions: amusement)" read as a slip)
                reason += f" (emotions: {', '.join(agreeing)})"
        span = Span(start=0, end=len(context.text), text=context.text)
        return [Cue(kind=label, span=span, severity=severity, reason=reason)]


def _agreeing_emotions(state: str, labels: list[str]) -> list[str]:
    """The GoEmotions labels that stand for `state`, or for any upset state when it is one: a sarcastic
    turn read as anger may carry "amusement", which an agent would take for the coach contradicting itself."""
    wanted = UPSET_STATES if state in UPSET_STATES else {state}
    return [label for label in labels if state_target([label]) in wanted]


def _question(context: TurnContext, index: int) -> Cue:
    sentence = context.sentences[index]
    return Cue(
        kind="question",
        span=sentence,
        severity="info",
        reason="a question asked with interest: answer it plainly, no feelings to acknowledge",
    )
