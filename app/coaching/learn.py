"""Which framework steps the agent has covered, and what to suggest next.

Suggestions are principles with phrasing *ideas* rendered from this customer's details
(their words, order, date, product, what went wrong).  An idea is shown at most once per
conversation, so the agent is never handed the same line twice.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

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
    detect: re.Pattern[str] | None  # the step's patterns as one alternation: one search, not one per pattern
    not_counted: re.Pattern[str] | None

    def covered_by(self, sentence: str, moves: Sequence[str]) -> bool:
        """Done by one of the step's moves (by meaning); by a `detect` pattern only for a step with no
        moves (a tenant's framework with no examples yet); never by a `not_counted` look-alike. (The
        engine lets a pattern confirm a move the classifier half-sees: `CoachingEngine._confirmed`.)"""
        if self.step.moves:
            done = any(m in self.step.moves for m in moves)
        else:
            done = bool(self.detect and self.detect.search(sentence))
        return done and not (self.not_counted and self.not_counted.search(sentence))


def _alternation(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I) if patterns else None


class FrameworkMatcher:
    """Which steps of every framework an agent's sentences cover, given their moves."""

    def __init__(self, library: CoachingLibrary, cache_size: int = 16_384) -> None:
        self.library = library
        # Agents repeat their sentences all day: each distinct (sentence, moves) runs the step
        # patterns once (lru_cache is thread-safe, and bounded for the long-running service).
        self._steps_of = lru_cache(maxsize=cache_size)(self._sentence_steps)
        self._worded_steps = lru_cache(maxsize=cache_size)(self._pattern_steps)

    @cached_property
    def steps(self) -> dict[tuple[str, str], CompiledStep]:
        return {
            (f.id, s.id): CompiledStep(s, _alternation(s.detect), _alternation(s.not_counted))
            for f in self.library.frameworks.values()
            for s in f.steps
        }

    def _sentence_steps(self, sentence: str, moves: tuple[str, ...]) -> frozenset[tuple[str, str]]:
        return frozenset(key for key, compiled in self.steps.items() if compiled.covered_by(sentence, moves))

    def steps_of(self, sentence: str, moves: Sequence[str]) -> frozenset[tuple[str, str]]:
        """Every (framework, step) the sentence covers."""
        return self._steps_of(sentence, tuple(moves))

    def confirmed_moves(self, sentence: str, scores: Mapping[str, float], floor: float) -> set[str]:
        """Moves a step's exact wording confirms: for each step with moves whose `detect` pattern the
        sentence matches (and no `not_counted` look-alike), the moves the classifier gives at least
        `floor`. Patterns add precision on top of the classifier, never a move it rules out."""
        return {m for step in self._worded_steps(sentence) for m in step.moves if scores.get(m, 0.0) >= floor}

    def _pattern_steps(self, sentence: str) -> tuple[Step, ...]:
        return tuple(
            c.step
            for c in self.steps.values()
            if c.step.moves
            and c.detect is not None
            and c.detect.search(sentence)
            and not (c.not_counted and c.not_counted.search(sentence))
        )

    def covered(self, framework_id: str, sentences: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
        """Step ids of `framework_id` that any (sentence, moves) pair covers, in the framework's order."""
        found = frozenset().union(*(self.steps_of(text, moves) for text, moves in sentences))
        return [step_id for fid, step_id in self.steps if fid == framework_id and (fid, step_id) in found]


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
