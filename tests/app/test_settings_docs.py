"""The README's configuration table names every setting, so the docs cannot drift silently."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme():
    text = README.read_text()
    missing = [name for name in Settings.model_fields if f"`COACHLINE_{name.upper()}`" not in text]
    assert not missing, f"add these to README's configuration table: {missing}"
