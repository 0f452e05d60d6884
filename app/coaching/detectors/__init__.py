"""Detectors: one file per thing detected, one protocol (`base.Detector`), one ordered pipeline.

Order matters where a detector reads what an earlier one found: the customer's state reads the
cues before it; the robotic check reads the templated scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from app.coaching.detectors.base import Detector, Need, Role
from app.coaching.detectors.cues_by_meaning import CuesByMeaningDetector, support_chat_examples
from app.coaching.detectors.cues_in_turn import (
    EmbedTurns,
    TurnCueHead,
    TurnCuesDetector,
    example_turns,
    support_chat_turns,
)
from app.coaching.detectors.customer_state import CustomerStateDetector
from app.coaching.detectors.jargon import JargonDetector
from app.coaching.detectors.phrase_cues import PhraseCueDetector
from app.coaching.detectors.phrase_flags import PhraseFlagDetector
from app.coaching.detectors.policy_over_people import PolicyOverPeopleDetector
from app.coaching.detectors.repeat_ask import RepeatAskDetector
from app.coaching.detectors.repeated_question import RepeatedQuestionDetector
from app.coaching.detectors.retold_story import RetoldStoryDetector
from app.coaching.detectors.robotic import RoboticDetector
from app.coaching.detectors.short_answer import ShortAnswerDetector
from app.coaching.detectors.shouting import ShoutingDetector
from app.coaching.detectors.solution_before_empathy import SolutionBeforeEmpathyDetector
from app.coaching.detectors.templated_phrasing import TemplatedPhrasingDetector
from app.coaching.frameworks import CoachingLibrary
from app.coaching.phrases import PhraseIndex
from app.coaching.templated import MacroMemory, TemplatedScorer

__all__ = ["Detector", "Need", "Role", "default_pipeline"]


def default_pipeline(
    library: CoachingLibrary,
    encode: Callable[[Sequence[str]], np.ndarray],
    canned: PhraseIndex,
    macros: MacroMemory,
    cache_dir: Path | None = None,
    embed_turns: EmbedTurns | None = None,
) -> list[Detector]:
    """The detectors in order. `embed_turns` (the emotion model's turn embeddings) adds the
    whole-turn cue head; without it (a fake model in tests) the sentence-level cues stand alone."""
    turn_cues: list[Detector] = []
    if embed_turns is not None:
        train = support_chat_turns("train") + example_turns(library.customer_cue_examples)
        head = TurnCueHead.train_cached(train, support_chat_turns("dev"), embed_turns, encode, cache_dir)
        turn_cues.append(TurnCuesDetector(library, head))
    return [
        PhraseCueDetector(library, encode),
        CuesByMeaningDetector(library, encode, cache_dir=cache_dir, extra_examples=support_chat_examples()),
        *turn_cues,
        ShoutingDetector(),
        RepeatedQuestionDetector(),
        RetoldStoryDetector(),
        ShortAnswerDetector(),
        CustomerStateDetector(library),
        TemplatedPhrasingDetector(canned, TemplatedScorer(canned), macros),
        RoboticDetector(),
        PolicyOverPeopleDetector(library),
        PhraseFlagDetector(library, encode),
        RepeatAskDetector(),
        SolutionBeforeEmpathyDetector(),
        JargonDetector(library),
    ]
