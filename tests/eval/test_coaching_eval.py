"""`coach eval coaching` counts what it says it counts, on a chat whose answers we know."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.coaching.analysis import Suggestion
from eval.coaching import card_moves, evaluate_coaching, load_chats
from eval.common import DatasetMissing

CHAT = {
    "id": "toy-01",
    "domain": "retail",
    "company": "Toyco",
    "turns": [
        {
            "role": "customer",
            "text": "Hi, what are your opening hours on Sunday?",
            "gold": {"state": "neutral", "expect": "quiet"},
        },
        {
            "role": "agent",
            "text": "We're open 10am to 4pm on Sundays. Have a great day!",
            "gold": {"canned": ["Have a great day!"], "expect": "quiet"},
        },
        {
            "role": "customer",
            "text": "You charged me twice for order 55120 and this is the third time I'm writing!! Sort it out.",
            "gold": {"state": "anger", "cues": ["complaint", "waiting"], "expect": ["empathize", "apologize"]},
        },
    ],
}


def test_cards_map_to_the_moves_the_gold_names():
    card = Suggestion(
        framework="de_escalation", step="acknowledge_emotion", name="", principle="", why_now="", ideas=[]
    )
    assert card_moves(card) == {"boundary", "empathize"}
    card = card.model_copy(update={"framework": "warm_transfer", "step": "summary"})
    assert card_moves(card) == {"transfer"}


def test_a_folder_without_chats_is_reported_missing(tmp_path: Path):
    with pytest.raises(DatasetMissing):
        load_chats(tmp_path)


def test_figures_on_a_known_chat(engine, tmp_path: Path):
    (tmp_path / "toy-01.yaml").write_text(yaml.safe_dump(CHAT), encoding="utf-8")
    figures = evaluate_coaching(engine, tmp_path)
    steps = figures["steps"]
    assert figures["chats"] == 1 and steps["key_turns"] == 1 and steps["quiet_turns"] == 2
    assert figures["upset"]["support"] == 1  # one gold-upset customer turn
    assert figures["templated"]["support"] == 1
    # A miss is listed for each quiet turn with a card and for the key turn unless it was right and clean.
    quiet_with_cards = round(steps["cards_on_quiet_turns"] * steps["quiet_turns"])
    key_missed = int(steps["right_step_shown"] < 1 or steps["wrong_step_shown"] > 0)
    assert len(figures["misses"]) == quiet_with_cards + key_missed


def test_customer_reading_scores_states_and_upset_beside_vader():
    """Hand-set readings: the coach gets both turns right, VADER calls the plain question neutral and
    the complaint negative, so both read perfectly on upset and only the coach names the anger."""
    from eval.coaching import _customer_reading

    read = [
        ("neutral", "neutral", False, "Hi, what are your opening hours on Sunday?"),
        ("anger", "anger", True, "You charged me twice, this is a disgrace and I hate it!!"),
    ]
    figures = _customer_reading(read)
    assert figures is not None and figures["turns"] == 2
    assert figures["state_macro_f1"] == 1.0 and figures["upset_or_not_macro_f1"] == 1.0
    assert figures["upset_or_not_macro_f1_vader"] == 1.0
    assert figures["state_macro_f1_vader"] == 0.5  # neutral right, anger read as frustration
    assert _customer_reading([]) is None
