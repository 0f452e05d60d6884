"""The QA rubric as data: weighted criteria over the engine's findings (frameworks/qa_rubric.yaml).

A criterion names a `check` (a function of `app.qa.checks`) and says how it counts:
- `weighted`: its `weight` is its share of the 0-100 score (N/A criteria are left out of the sum);
- `auto_fail`: a fail sets the conversation's score to 0, whatever else it earned;
- `bonus`: a pass adds `weight` points on top (capped at 100); a fail costs nothing.
A tenant replaces the rubric with a file of the same `id` in its frameworks folder, or writes a rubric
that `extends` it: criteria listed again under their id replace the built-in ones, new ids are added
and those in `drop` are left out (`CoachingLibrary.rubric` resolves it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.qa.models import CriterionKind


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    check: str = Field(description="the check it runs (app.qa.checks.CHECKS)")
    kind: CriterionKind = "weighted"
    weight: float = Field(10.0, ge=0.0)
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict, description="the check's parameters (thresholds)")


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["rubric"] = "rubric"
    id: str
    name: str
    source: str = ""
    license: str = ""
    description: str = ""
    pass_mark: float = Field(70.0, ge=0.0, le=100.0, description="the score a conversation passes QA at")
    extends: str | None = Field(None, description="the id of the rubric this one amends")
    drop: list[str] = Field(default_factory=list, description="criteria of the extended rubric to leave out")
    criteria: list[Criterion] = Field(default_factory=list)

    def over(self, base: Rubric) -> Rubric:
        """This amendment applied to `base` (validated again as a whole rubric)."""
        mine = {c.id: c for c in self.criteria}
        unknown = set(self.drop) - {c.id for c in base.criteria}
        if unknown:
            raise ValueError(f"rubric {self.id!r} drops criteria {sorted(unknown)} that {base.id!r} does not have")
        criteria = [mine.pop(c.id, c) for c in base.criteria if c.id not in self.drop] + list(mine.values())
        fields = self.model_dump(exclude={"extends", "drop", "criteria"}, exclude_unset=True)
        return Rubric.model_validate({**base.model_dump(exclude={"extends", "drop"}), **fields, "criteria": criteria})

    @model_validator(mode="after")
    def _known_and_unique(self) -> Rubric:
        from app.qa.checks import CHECKS  # the checks import the engine's models, not the rubric

        if self.extends is not None:
            return self  # checked as a whole once applied (`over`)
        ids = [c.id for c in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError(f"criterion ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
        for criterion in self.criteria:
            if criterion.check not in CHECKS:
                raise ValueError(
                    f"criterion {criterion.id!r}: unknown check {criterion.check!r}; one of {sorted(CHECKS)}"
                )
        if not any(c.kind == "weighted" and c.weight > 0 for c in self.criteria):
            raise ValueError("a rubric needs at least one weighted criterion with a weight above 0")
        return self
