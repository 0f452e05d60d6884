"""The engine does each piece of model and matching work once, without changing answers."""

import numpy as np

from app.coaching.conversation import Turn
from app.coaching.engine import encoder_texts
from app.coaching.frameworks import load_library
from app.coaching.learn import FrameworkMatcher
from app.coaching.templated import MacroMemory
from tests.coaching.conftest import conversation

TURNS = (
    ("customer", "My package never arrived and this is the second time I'm writing! Where is my parcel?"),
    ("agent", "We apologize for the inconvenience. Could you share your order number?"),
    ("customer", "It's 99812. Thanks."),
    ("customer", "Where is my parcel now?"),
    ("agent", "Thanks, I've re-sent it with express delivery.\nYou'll get a tracking link today."),
)


def test_every_sentence_is_encoded_once_per_turn():
    def texts(role: str, text: str) -> list[str]:
        return encoder_texts([Turn(role=role, text=text)])

    assert texts("customer", "It's 99812. Thanks.") == ["It's 99812.", "Thanks."]
    assert texts("agent", "Hi.\nOne moment") == ["Hi.", "One moment"]


def test_warm_covers_everything_add_turn_encodes(engine, monkeypatch):
    chat = conversation(*TURNS, conversation_id="warm-1")
    engine.warm([chat])
    asked: list[str] = []
    encode = engine.encoder.encode
    monkeypatch.setattr(engine.encoder, "encode", lambda texts: asked.extend(texts) or encode(texts))
    analyses = engine.analyze(chat)
    assert asked and set(asked) <= set(encoder_texts(chat.turns))
    assert "repeated_question" in {c.kind for c in analyses[3].customer.cues}


def test_steps_are_covered_by_moves_and_vetoed_by_look_alikes():
    matcher = FrameworkMatcher(load_library())
    assert matcher.covered("learn", [("I'm sorry we charged you twice.", ("apology",))]) == ["apologize"]
    assert matcher.covered("learn", [("I'm sorry you feel that way.", ("apology",))]) == []  # not_counted
    assert matcher.covered(
        "learn", [("I've refunded it.", ("action",)), ("I'll check in Friday.", ("follow_up",))]
    ) == [
        "resolve",
        "note",
    ]
    # A step with moves is never covered by its patterns alone: the words must make the move.
    assert matcher.covered("learn", [("I'm sorry we charged you twice.", ())]) == []
    assert matcher.covered("learn", []) == []


def test_macro_memory_sees_sentences_added_after_a_lookup():
    memory = MacroMemory(threshold=0.9)
    macro = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    memory.add("acme", "c1", ["Your refund is on its way."], macro)
    assert memory.other_conversations("acme", "c3", macro) == [1]
    memory.add("acme", "c1", ["Your refund is on its way."], macro)  # already stored: nothing changes
    assert memory.other_conversations("acme", "c3", macro) == [1]
    memory.add("acme", "c2", ["Your refund is on its way."], macro)
    assert memory.other_conversations("acme", "c3", macro) == [2]
    assert memory.other_conversations("acme", "c2", macro) == [1]
