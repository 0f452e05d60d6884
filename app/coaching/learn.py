"""Which framework steps the agent has covered, and what to suggest next.

Suggestions are principles with phrasing *ideas* rendered from this customer's details
(their words, order, date, product, what went wrong).  An idea is shown at most once per
conversation, so the agent is never handed the same line twice.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from app.coaching.analysis import Suggestion
from app.coaching.frameworks import CoachingLibrary, Framework, Step

CUSTOMER_SLOTS = frozenset({"issue", "quote", "order", "date", "product", "feeling"})
# Slots only the agent can fill: shown as a bracketed prompt, never invented.
AGENT_SLOTS = {
    "action": "[what you're doing]",
    "next_update": "[a specific time]",
    "expected": "[what should have happened]",
}
FEELING = {
    "frustration": "frustrated",
    "anger": "upset",
    "disappointment": "disappointed",
    "anxiety": "worried",
    "confusion": "unsure",
    "neutral": "concerned",
    "satisfied": "relieved",
}
IDEAS_PER_SUGGESTION = 3


@dataclass
class CompiledStep:
    step: Step
    detect: list[re.Pattern[str]]
    not_counted: list[re.Pattern[str]]

    def covered_by(self, sentence: str, moves: Sequence[str]) -> bool:
        """Done by one of the step's moves (by meaning) or one of its `detect` patterns (the exact
        wording a team uses); never by a `not_counted` look-alike."""
        if any(p.search(sentence) for p in self.not_counted):
            return False
        return any(m in self.step.moves for m in moves) or any(p.search(sentence) for p in self.detect)


class FrameworkMatcher:
    """Which steps of every framework an agent's sentences cover, given their moves."""

    def __init__(self, library: CoachingLibrary) -> None:
        self.library = library

    @cached_property
    def steps(self) -> dict[tuple[str, str], CompiledStep]:
        return {
            (f.id, s.id): CompiledStep(
                s, [re.compile(p, re.I) for p in s.detect], [re.compile(p, re.I) for p in s.not_counted]
            )
            for f in self.library.frameworks.values()
            for s in f.steps
        }

    def covered(self, framework_id: str, sentences: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
        """Step ids of `framework_id` that any (sentence, moves) pair covers, in the framework's order."""
        return [
            step_id
            for (fid, step_id), compiled in self.steps.items()
            if fid == framework_id and any(compiled.covered_by(text, moves) for text, moves in sentences)
        ]


def _slots_in(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass
class IdeaRenderer:
    """Fills idea templates from the customer's details; skips ideas it cannot ground.

    An idea is offered once per conversation. A suggestion still on screen (the same step,
    suggested again on the next turn) keeps its ideas rather than burning fresh ones every
    turn; it gets new ones when the customer's details change, and keeps the old ones if
    every other idea has been used (a principle with nothing to say it with helps no one)."""

    used: set[str] = field(default_factory=set)
    showing: dict[tuple[str, str], tuple[tuple, list[str]]] = field(default_factory=dict)

    def render(
        self,
        step: Step,
        slots: dict[str, str],
        limit: int = IDEAS_PER_SUGGESTION,
        card: tuple[str, str] | None = None,
        conditions: frozenset[str] | set[str] = frozenset(),
    ) -> list[str]:
        """Ideas for `step`; `card` (framework id, step id) names the suggestion they are shown on;
        `conditions` says which idea conditions hold (`company_fault`, `unexplained`)."""
        signature = (tuple(sorted(slots.items())), tuple(sorted(conditions)))
        current = self.showing.get(card) if card else None
        if current is not None and current[0] == signature:
            return list(current[1])
        fresh = self._fresh(step, slots, limit, conditions)
        if not fresh and current is not None:
            return list(current[1])
        if card is not None:
            self.showing[card] = (signature, fresh)
        return fresh

    def keep_only(self, cards: set[tuple[str, str]]) -> None:
        """Forget the ideas of suggestions no longer shown: if one comes back, it gets fresh ideas."""
        for card in list(self.showing):
            if card not in cards:
                del self.showing[card]

    def _fresh(self, step: Step, slots: dict[str, str], limit: int, conditions: frozenset[str] | set[str]) -> list[str]:
        values = {**AGENT_SLOTS, **slots}
        out: list[str] = []
        for idea in step.ideas:
            if not set(idea.requires) <= set(conditions):
                continue  # ownership language for a storm, "tell me what happened" on their third retelling
            needed = _slots_in(idea.text)
            if not needed <= set(values) or not (needed & CUSTOMER_SLOTS or not needed):
                continue  # a slot we don't know, or an idea with nothing from this customer
            text = idea.text.format(**values)
            if text in self.used:
                continue
            out.append(text)
            if len(out) == limit:
                break
        self.used.update(out)
        return out


def suggestion(
    framework: Framework,
    step_id: str,
    why_now: str,
    renderer: IdeaRenderer,
    slots: dict[str, str],
    conditions: frozenset[str] | set[str] = frozenset(),
) -> Suggestion:
    step = framework.step(step_id)
    return Suggestion(
        framework=framework.id,
        step=step.id,
        name=step.name,
        principle=step.principle,
        why_now=why_now,
        ideas=renderer.render(step, slots, card=(framework.id, step.id), conditions=conditions),
    )
