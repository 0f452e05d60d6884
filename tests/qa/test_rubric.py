"""The rubric as data: the default loads, a tenant amends or replaces it, bad files say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.coaching.frameworks import LibraryError, load_library


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_default_rubric_covers_the_issues_criteria() -> None:
    rubric = load_library().rubric("default_qa")
    checks = {c.check for c in rubric.criteria}
    assert {
        "empathy_before_solution",
        "learn_coverage",
        "robotic_rate",
        "policy_over_people",
        "repeat_ask",
        "next_update_commitment",
        "warm_transfer",
        "closing_the_loop",
        "sentiment_trajectory",
        "customer_effort",
    } <= checks
    assert {c.kind for c in rubric.criteria} == {"weighted", "bonus"}


def test_a_tenant_amends_the_rubric(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "tenant",
        "rubric.yaml",
        """
kind: rubric
id: acme_qa
name: Acme QA
extends: default_qa
pass_mark: 80
drop: [closing_the_loop]
criteria:
  - {id: people_over_policy, name: People over policy, check: policy_over_people, kind: auto_fail, weight: 0}
  - {id: effort_double, name: Effort, check: customer_effort, weight: 30}
""",
    )
    rubric = load_library(folder).rubric("acme_qa")
    by_id = {c.id: c for c in rubric.criteria}
    assert rubric.pass_mark == 80 and rubric.name == "Acme QA"
    assert "closing_the_loop" not in by_id
    assert by_id["people_over_policy"].kind == "auto_fail"
    assert by_id["effort_double"].weight == 30
    assert by_id["empathy_before_solution"].weight == 20  # untouched criteria come from the default


def test_a_rubric_with_an_unknown_check_names_the_file_and_the_checks(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "bad",
        "rubric.yaml",
        "kind: rubric\nid: bad\nname: Bad\ncriteria:\n  - {id: tone, name: Tone, check: tone_of_voice}\n",
    )
    with pytest.raises(LibraryError, match=r"rubric\.yaml.*unknown check 'tone_of_voice'.*empathy_before_solution"):
        load_library(folder)


def test_an_amendment_dropping_what_is_not_there_fails_on_use(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "drop",
        "rubric.yaml",
        "kind: rubric\nid: slim\nname: Slim\nextends: default_qa\ndrop: [no_such_criterion]\n",
    )
    library = load_library(folder)
    with pytest.raises(LibraryError, match="no_such_criterion"):
        library.rubric("slim")


def test_extends_loops_are_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "loop", "a.yaml", "kind: rubric\nid: a\nname: A\nextends: b\n")
    write(folder, "b.yaml", "kind: rubric\nid: b\nname: B\nextends: a\n")
    with pytest.raises(LibraryError, match="loops"):
        load_library(folder).rubric("a")
