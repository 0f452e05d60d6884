"""The team's support chats: valid, big and varied enough, and split by domain."""

from collections import Counter
from pathlib import Path

import pytest

from models.labels import CUSTOMER_STATES
from models.support_data import SUPPORT_CHATS, read_chat_file, read_support_turns


def test_committed_chats_validate_and_cover_the_brief():
    turns = read_support_turns()
    assert len(turns) >= 2000
    assert len({t.domain for t in turns}) >= 10
    states = Counter(t.state for t in turns)
    assert set(states) == set(CUSTOMER_STATES) and min(states.values()) >= 100
    assert {"churn", "sarcasm", "repeat_story", "abuse", "escalation", "waiting", "complaint"} <= {
        c for t in turns for c in t.cues
    }
    assert sum(t.previous is not None for t in turns) > 0.7 * len(turns)  # most turns answer an agent


def test_splits_are_whole_domains_so_test_domains_are_unseen():
    domains = {split: {t.domain for t in read_support_turns(split=split)} for split in ("train", "dev", "test")}
    assert all(domains.values())
    assert not (domains["train"] & domains["test"]) and not (domains["train"] & domains["dev"])
    assert not (domains["dev"] & domains["test"])


def test_no_customer_text_is_in_two_splits():
    seen: dict[str, str] = {}
    clashes = []
    for turn in read_support_turns():
        key = turn.text.lower()
        if len(key) > 25 and seen.setdefault(key, turn.split) != turn.split:
            clashes.append(turn.text)
    assert not clashes


def test_a_bad_label_names_its_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    text = (SUPPORT_CHATS.parent.parent / "tests" / "fixtures" / "support_chats" / "train.yaml").read_text()
    bad.write_text(text.replace("state: frustration", "state: furious", 1))
    with pytest.raises(ValueError, match=r"(?s)bad\.yaml.*state"):
        read_chat_file(bad)
