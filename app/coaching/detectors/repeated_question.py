"""The customer asks again what they already asked (by meaning)."""

from __future__ import annotations

import numpy as np

from app.coaching.analysis import Cue
from app.coaching.context import TurnContext
from app.coaching.state import ConversationState

SAME_QUESTION = 0.7  # cosine between two customer questions asking the same thing


class RepeatedQuestionDetector:
    name = "repeated_question"
    role = "customer"
    needs = frozenset({"vectors"})

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        asked: list[tuple[int, np.ndarray]] = state.memory_of(self.name, list)
        found: list[Cue] = []
        for i in context.questions():
            vector = context.vectors[i]
            if asked and not found:
                best, earlier = max((float(vector @ v), turn) for turn, v in asked)
                if best >= SAME_QUESTION:
                    found.append(
                        Cue(
                            kind="repeated_question",
                            span=context.sentences[i],
                            severity="warn",
                            reason=f"asks again what they asked in turn {earlier} (similarity {best:.2f})",
                        )
                    )
        asked.extend((context.index, context.vectors[i]) for i in context.questions())
        return found
