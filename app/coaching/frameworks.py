"""Coaching frameworks and phrase libraries: YAML files in frameworks/, validated by pydantic.

Tenants add their own folder of YAML files; a file there with the same `id` as a built-in
replaces it, a new `id` adds to it.  Nothing here imports FastAPI: the CLI, the batch
scorer and the service all load the same `CoachingLibrary`.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from models.labels import CUSTOMER_STATES

DEFAULT_FRAMEWORKS_DIR = Path(__file__).resolve().parents[2] / "frameworks"


def _valid_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


Regex = Annotated[str, AfterValidator(_valid_regex)]


def _customer_state(state: str) -> str:
    if state not in CUSTOMER_STATES:
        raise ValueError(f"unknown customer state {state!r}; use one of {', '.join(CUSTOMER_STATES)}")
    return state


CustomerState = Annotated[str, AfterValidator(_customer_state)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(Strict):
    """One step of a framework: the principle, how to see it was done, phrasing ideas.

    Ideas are templates over the customer's own details: {issue}, {order}, {date},
    {product}, {quote}, {next_update}; an idea whose slots are unknown is not offered.
    """

    id: str
    name: str
    principle: str
    detect: list[Regex] = Field(default_factory=list, description="agent phrasing that counts as doing this step")
    not_counted: list[Regex] = Field(default_factory=list, description="look-alikes that do not count")
    ideas: list[str] = Field(min_length=1)


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


class JargonTerm(Strict):
    term: Regex
    plain: str


class JargonList(Strict):
    kind: Literal["jargon"] = "jargon"
    id: str
    terms: list[JargonTerm]


class ComplianceList(Strict):
    """Required disclosures: agent sentences matching these are never flagged."""

    kind: Literal["compliance"] = "compliance"
    id: str
    disclosures: list[Regex]


class CueLexicon(Strict):
    """Patterns for the customer cues that are words, not emotions (escalation, churn, ...)."""

    kind: Literal["cues"] = "cues"
    id: str
    cues: dict[str, list[Regex]]
    implies: dict[str, CustomerState] = Field(
        default_factory=dict,
        description="customer state a cue implies when the emotion model reads the turn as calm "
        "(support complaints are often terse or sarcastic: 'This is a joke, I want my money back')",
    )


LibraryFile = Annotated[
    Framework | PhraseLibrary | JargonList | ComplianceList | CueLexicon, Field(discriminator="kind")
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

    def framework(self, framework_id: str) -> Framework:
        try:
            return self.frameworks[framework_id]
        except KeyError:
            raise LibraryError(f"no framework with id {framework_id!r}; have {sorted(self.frameworks)}") from None

    @cached_property
    def compliance_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.I) for c in self.compliance.values() for p in c.disclosures]

    @cached_property
    def cue_patterns(self) -> dict[str, list[re.Pattern[str]]]:
        merged: dict[str, list[re.Pattern[str]]] = {}
        for lexicon in self.cues.values():
            for name, patterns in lexicon.cues.items():
                merged.setdefault(name, []).extend(re.compile(p, re.I) for p in patterns)
        return merged

    @cached_property
    def cue_states(self) -> dict[str, str]:
        return {cue: state for lexicon in self.cues.values() for cue, state in lexicon.implies.items()}

    @cached_property
    def jargon_terms(self) -> list[tuple[re.Pattern[str], str]]:
        return [(re.compile(rf"\b(?:{t.term})\b", re.I), t.plain) for j in self.jargon.values() for t in j.terms]


def _read(path: Path) -> LibraryFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LibraryError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return _FileModel(item=raw).item
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        raise LibraryError(f"{path}: {problems}") from exc


def load_library(*extra_dirs: Path, base: Path = DEFAULT_FRAMEWORKS_DIR) -> CoachingLibrary:
    """Load the built-in frameworks, then each extra (tenant) folder over them."""
    buckets: dict[str, dict] = {"framework": {}, "phrases": {}, "jargon": {}, "compliance": {}, "cues": {}}
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
    )
