"""The customer tells their story again (a long turn whose meaning matches an earlier one)."""

from __future__ import annotations

import numpy as np

from app.coaching.analysis import Cue, Span
from app.coaching.context import TurnContext
from app.coaching.state import ConversationState
from app.coaching.text import words

STORY_WORDS = 12  # long enough to be the customer telling their story
RETOLD = 0.85


class RetoldStoryDetector:
    name = "retold_story"
    role = "customer"
    needs = frozenset({"vectors"})

    def run(self, context: TurnContext, state: ConversationState) -> list[Cue]:
        if len(words(context.text)) < STORY_WORDS or len(context.vectors) == 0:
            return []
        stories: list[tuple[int, np.ndarray]] = state.memory_of(self.name, list)
        mean = context.vectors.mean(0)
        story = mean / (np.linalg.norm(mean) or 1.0)
        found = []
        if stories:
            best, earlier = max((float(story @ v), turn) for turn, v in stories)
            if best >= RETOLD:
                found.append(
                    Cue(
                        kind="repeat_story",
                        span=Span(start=0, end=len(context.text), text=context.text),
                        severity="warn",
                        reason=f"retells what they wrote in turn {earlier} (similarity {best:.2f})",
                    )
                )
        stories.append((context.index, story))
        return found
