"""Coaching frameworks and phrase libraries: YAML files in frameworks/, validated by pydantic.

Tenants add their own folder of YAML files; a file there with the same `id` as a built-in
replaces it, a new `id` adds to it.  Nothing here imports FastAPI: the CLI, the batch
scorer and the service all load the same `CoachingLibrary`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from app.coaching.phrasing import YAML_LOADER, OwnershipLexicon, Regex
from app.qa.rubric import Rubric
from models.labels import CUSTOMER_STATES

DEFAULT_FRAMEWORKS_DIR = Path(__file__).resolve().parents[2] / "frameworks"


def _customer_state(state: str) -> str:
    if state not in CUSTOMER_STATES:
        raise ValueError(f"unknown customer state {state!r}; use one of {', '.join(CUSTOMER_STATES)}")
    return state


CustomerState = Annotated[str, AfterValidator(_customer_state)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


IdeaCondition = Literal["company_fault", "unexplained"]


class Idea(Strict):
    """A phrasing idea with conditions: `company_fault` (ownership language: only when the failure is
    the company's), `unexplained` (asks for their story: only before they have told it)."""

    text: str
    requires: list[IdeaCondition] = Field(default_factory=list)


def _idea(value: str | Idea | dict) -> Idea | dict:
    return Idea(text=value) if isinstance(value, str) else value


class Step(Strict):
    """One step of a framework: the principle, how to see it was done, phrasing ideas.

    Done when one of the agent's sentences makes one of `moves` (the agent-move classifier,
    frameworks/moves/); `detect` patterns count only for a step with no `moves` (a tenant's
    framework that has no examples yet) and `not_counted` vetoes either. Ideas are templates
    over the customer's own details: {issue}, {order}, {date}, {product}, {quote}, {feeling};
    an idea whose slots are unknown is not offered.
    """

    id: str
    name: str
    principle: str
    moves: list[str] = Field(default_factory=list, description="agent moves that count as doing this step")
    detect: list[Regex] = Field(default_factory=list, description="agent phrasing that counts (steps without moves)")
    not_counted: list[Regex] = Field(default_factory=list, description="look-alikes that do not count")
    ideas: list[Annotated[Idea, BeforeValidator(_idea)]] = Field(min_length=1)


class Framework(Strict):
    kind: Literal["framework"] = "framework"
    id: str
    name: str
    source: str = Field(description="where the framework comes from")
    description: str
    steps: list[Step] = Field(min_length=1)

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)


class Phrase(Strict):
    text: str
    category: str


class PhraseLibrary(Strict):
    """Agent phrasing to flag (canned, policy-hiding, ...), matched by meaning and by pattern."""

    kind: Literal["phrases"] = "phrases"
    id: str
    flag: str = Field(description="the flag these phrases raise")
    reason: str
    better_move: str
    phrases: list[Phrase] = Field(default_factory=list, description="examples matched by meaning")
    counter_examples: list[str] = Field(
        default_factory=list,
        description="look-alikes that must not match (a sentence nearer to one of these than to any "
        "phrase is not flagged by meaning)",
    )
    patterns: list[Regex] = Field(default_factory=list, description="matched as regular expressions")
    unless_offered: bool = Field(
        default=False,
        description="not raised on a turn that also acts, offers, gives a time or hands over in the agent's "
        "own voice ('As per our terms, cancellations need 30 days' notice. I can log yours today.')",
    )


class JargonTerm(Strict):
    term: Regex
    plain: str


class JargonList(Strict):
    """Jargon terms with their plain words; any other acronym the customer hasn't used is jargon
    too, unless it is one everybody knows (`plain_acronyms`)."""

    kind: Literal["jargon"] = "jargon"
    id: str
    terms: list[JargonTerm]
    plain_acronyms: list[str] = Field(default_factory=list, description="acronyms customers know (PDF, ATM...)")


class ComplianceList(Strict):
    """Required disclosures: agent sentences matching these are never flagged."""

    kind: Literal["compliance"] = "compliance"
    id: str
    disclosures: list[Regex]


class CueDefinition(Strict):
    """One customer cue: how to see it (patterns and/or examples matched by meaning), what it
    means for the coach (reason, severity, the state it implies, whether it makes the customer
    upset) and what the agent should do about it."""

    reason: str
    severity: Literal["info", "warn", "alert"] = "warn"
    implies: CustomerState | None = Field(
        None,
        description="customer state the cue implies when the emotion model reads the turn as calm "
        "(support complaints are often terse or sarcastic: 'This is a joke, I want my money back')",
    )
    upset: bool = Field(True, description="the cue alone makes the customer upset (empathy owed)")
    ironic: bool = Field(
        False,
        description="says the opposite of what it means (sarcasm): seen even on a turn the model reads as positive",
    )
    owes: list[Literal["empathy", "apology", "resolution", "handoff", "boundary", "listen"]] = Field(
        default_factory=list, description="what the agent owes the customer once the cue is seen"
    )
    better_move: str | None = None
    patterns: list[Regex] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list, description="customer sentences matched by meaning")
    counter_examples: list[str] = Field(default_factory=list, description="look-alikes that must not match")
    min_similarity: float = Field(0.8, ge=0.0, le=1.0, description="cosine to an example that counts")
    min_words: int = Field(
        1,
        ge=1,
        description="fewest words a sentence needs for the cue to be read by meaning: a bare 'Great.' "
        "may be sarcastic or glad, and only the words around it tell",
    )


class CueLexicon(Strict):
    """Customer cues that are words and meanings, not emotions (escalation, churn, ...)."""

    kind: Literal["cues"] = "cues"
    id: str
    cues: dict[str, CueDefinition]


class MoveExamples(Strict):
    """Agent sentences labelled with the move they make: the agent-move classifier's training data."""

    kind: Literal["moves"] = "moves"
    id: str
    license: str = ""
    description: str = ""
    examples: dict[str, list[str]]


class CueExamples(Strict):
    """Customer sentences labelled with the cue they show ("none" for none): the customer-cue
    classifier's training data. A cue named here needs a definition in a `cues` file."""

    kind: Literal["cue_examples"] = "cue_examples"
    id: str
    license: str = ""
    description: str = ""
    examples: dict[str, list[str]]


LibraryFile = Annotated[
    Framework
    | PhraseLibrary
    | JargonList
    | ComplianceList
    | CueLexicon
    | MoveExamples
    | CueExamples
    | OwnershipLexicon
    | Rubric,
    Field(discriminator="kind"),
]


class _FileModel(BaseModel):
    item: LibraryFile


class LibraryError(ValueError):
    """A framework file is invalid; the message names the file and the field."""


class CoachingLibrary(BaseModel):
    """Everything loaded from the framework folders, by kind and id."""

    model_config = ConfigDict(frozen=True)

    frameworks: dict[str, Framework]
    phrases: dict[str, PhraseLibrary]
    jargon: dict[str, JargonList]
    compliance: dict[str, ComplianceList]
    cues: dict[str, CueLexicon]
    moves: dict[str, MoveExamples]
    cue_examples: dict[str, CueExamples]
    ownership: dict[str, OwnershipLexicon]
    rubrics: dict[str, Rubric] = Field(default_factory=dict)

    def framework(self, framework_id: str) -> Framework:
        try:
            return self.frameworks[framework_id]
        except KeyError:
            raise LibraryError(f"no framework with id {framework_id!r}; have {sorted(self.frameworks)}") from None

    def rubric(self, rubric_id: str, _seen: frozenset[str] = frozenset()) -> Rubric:
        """A QA rubric by id, with its `extends` chain applied (KeyError when there is none)."""
        if rubric_id in _seen:
            raise LibraryError(f"rubric {rubric_id!r}: `extends` loops back to it")
        rubric = self.rubrics[rubric_id]
        if rubric.extends is None:
            return rubric
        if rubric.extends not in self.rubrics:
            raise LibraryError(f"rubric {rubric_id!r} extends {rubric.extends!r}, which is not loaded")
        try:
            return rubric.over(self.rubric(rubric.extends, _seen | {rubric_id}))
        except ValueError as exc:  # pydantic's ValidationError included
            raise LibraryError(f"rubric {rubric_id!r} over {rubric.extends!r}: {exc}") from exc

    @cached_property
    def compliance_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.I) for c in self.compliance.values() for p in c.disclosures]

    @cached_property
    def cue_definitions(self) -> dict[str, CueDefinition]:
        """Every cue by name; a later lexicon (a tenant's) replaces a cue of the same name."""
        return {name: cue for lexicon in self.cues.values() for name, cue in lexicon.cues.items()}

    @cached_property
    def plain_acronyms(self) -> frozenset[str]:
        return frozenset(a.upper() for j in self.jargon.values() for a in j.plain_acronyms)

    @cached_property
    def ownership_lexicon(self) -> OwnershipLexicon | None:
        """Who-caused-it patterns of every ownership file (built-in and tenant), merged."""
        lexicons = list(self.ownership.values())
        if not lexicons:
            return None
        merged = {k: [p for lex in lexicons for p in getattr(lex, k)] for k in ("company", "external", "customer")}
        return lexicons[0].model_copy(update=merged)

    @cached_property
    def move_examples(self) -> dict[str, list[str]]:
        """Every agent-move example by move, built-in and tenant files merged."""
        return _merge(self.moves.values())

    @cached_property
    def customer_cue_examples(self) -> dict[str, list[str]]:
        """Every customer-cue example by cue ("none": no cue), built-in and tenant files merged."""
        return _merge(self.cue_examples.values())

    @cached_property
    def jargon_terms(self) -> list[tuple[re.Pattern[str], str]]:
        return [(re.compile(rf"\b(?:{t.term})\b", re.I), t.plain) for j in self.jargon.values() for t in j.terms]


def _merge(files: Iterable[MoveExamples | CueExamples]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for item in files:
        for label, sentences in item.examples.items():
            merged.setdefault(label, []).extend(sentences)
    return merged


def _read(path: Path) -> LibraryFile:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise LibraryError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return _FileModel(item=raw).item
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        raise LibraryError(f"{path}: {problems}") from exc


def load_library(*extra_dirs: Path, base: Path = DEFAULT_FRAMEWORKS_DIR) -> CoachingLibrary:
    """Load the built-in frameworks, then each extra (tenant) folder over them."""
    buckets: dict[str, dict] = {
        kind: {}
        for kind in (
            "framework",
            "phrases",
            "jargon",
            "compliance",
            "cues",
            "moves",
            "cue_examples",
            "ownership",
            "rubric",
        )
    }
    for folder in (base, *extra_dirs):
        if not folder.is_dir():
            raise LibraryError(f"framework folder {folder} does not exist")
        for path in sorted(folder.rglob("*.yaml")):
            item = _read(path)
            buckets[item.kind][item.id] = item
    return CoachingLibrary(
        frameworks=buckets["framework"],
        phrases=buckets["phrases"],
        jargon=buckets["jargon"],
        compliance=buckets["compliance"],
        cues=buckets["cues"],
        moves=buckets["moves"],
        cue_examples=buckets["cue_examples"],
        ownership=buckets["ownership"],
        rubrics=buckets["rubric"],
    )
