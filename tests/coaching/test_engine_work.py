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


def test_only_sentences_a_check_compares_are_encoded():
    def customer(text: str) -> list[str]:
        return encoder_texts([Turn(role="customer", text=text)])

    assert customer("It's 99812. Thanks.") == []  # short, no question: never compared
    assert customer("Thanks. Where is my parcel?") == ["Where is my parcel?"]
    story = "I ordered a jacket two weeks ago. It still hasn't arrived and nobody answers."
    assert customer(story) == ["I ordered a jacket two weeks ago.", "It still hasn't arrived and nobody answers."]
    assert encoder_texts([Turn(role="system", text="Chat transferred.")]) == []


def test_warm_covers_everything_add_turn_encodes(engine, monkeypatch):
    chat = conversation(*TURNS, conversation_id="warm-1")
    engine.warm([chat])
    asked: list[str] = []
    encode = engine.encoder.encode
    monkeypatch.setattr(engine.encoder, "encode", lambda texts: asked.extend(texts) or encode(texts))
    analyses = engine.analyze(chat)
    assert asked and set(asked) <= set(encoder_texts(chat.turns))
    assert "repeated_question" in {c.kind for c in analyses[3].customer.cues}


def test_matcher_answers_as_the_step_detectors_do():
    library = load_library()
    matcher = FrameworkMatcher(library)
    sentences = [
        "I'm sorry we charged you twice, that's on us.",
        "I've refunded the charge; you'll see it within 3 days.",
        "I've noted this on your account and I'll follow up tomorrow.",
        "I'm sorry we charged you twice, that's on us.",
    ]
    for framework_id in library.frameworks:
        expected = [
            step_id
            for (fid, step_id), compiled in matcher.steps.items()
            if fid == framework_id and any(compiled.covered_by(s) for s in sentences)
        ]
        assert matcher.covered(framework_id, sentences) == expected
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
