from pathlib import Path

import pytest

from app.coaching.frameworks import LibraryError, load_library


def test_builtin_library_loads_every_seed_framework():
    library = load_library()
    assert {"learn", "proactive_update", "de_escalation", "warm_transfer", "closing_loop"} <= set(library.frameworks)
    assert [s.id for s in library.framework("learn").steps] == ["listen", "empathize", "apologize", "resolve", "note"]
    assert {"canned", "policy"} <= set(library.phrases)
    assert {"escalation", "churn", "repeat_story", "waiting", "abuse", "sarcasm"} <= set(library.cue_definitions)
    assert library.move_examples["apology"] and library.customer_cue_examples["none"]
    assert library.compliance_patterns and library.jargon_terms


def test_tenant_folder_overrides_and_extends(tmp_path: Path):
    (tmp_path / "compliance.yaml").write_text(
        'kind: compliance\nid: default_compliance\ndisclosures: ["\\\\bgoverned by the FCA\\\\b"]\n', encoding="utf-8"
    )
    (tmp_path / "macros.yaml").write_text(
        "kind: phrases\nid: acme_macros\nflag: templated\nreason: r\nbetter_move: b\n"
        "phrases: [{text: 'Welcome to Acme support!', category: greeting}]\n",
        encoding="utf-8",
    )
    library = load_library(tmp_path)
    assert [p.pattern for p in library.compliance_patterns] == ["\\bgoverned by the FCA\\b"]
    assert "acme_macros" in library.phrases and "canned" in library.phrases


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind: framework\nid: x\nname: X\nsource: s\ndescription: d\nsteps: []\n", "steps"),
        ("kind: cues\nid: x\ncues: {bad: {reason: r, patterns: ['(unclosed']}}\n", "invalid regular expression"),
        ("kind: nonsense\nid: x\n", "kind"),
        ("kind: cues\nid: x\ncues: {c: {reason: r, implies: grumpy}}\n", "unknown customer state 'grumpy'"),
        ("kind: framework\n  id: [broken\n", "not valid YAML"),
    ],
)
def test_invalid_files_name_the_file_and_the_problem(tmp_path: Path, content: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LibraryError) as error:
        load_library(tmp_path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_missing_tenant_folder_is_an_error(tmp_path: Path):
    with pytest.raises(LibraryError, match="does not exist"):
        load_library(tmp_path / "absent")
