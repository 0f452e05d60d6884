import numpy as np

from app.coaching.frameworks import load_library
from app.coaching.phrases import PhraseIndex
from app.coaching.templated import MacroMemory, TemplatedScorer


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_macro_memory_counts_other_conversations_only():
    memory = MacroMemory(threshold=0.9)
    macro = _unit(1, 0, 0)
    memory.add("acme", "c1", ["Your refund is on its way."], np.stack([macro]))
    memory.add("acme", "c1", ["Your refund is on its way."], np.stack([macro]))  # stored once
    memory.add("acme", "c2", ["Your refund is on the way."], np.stack([_unit(1, 0.05, 0)]))
    memory.add("other-tenant", "c9", ["Your refund is on its way."], np.stack([macro]))
    assert memory.other_conversations("acme", "c1", np.stack([macro, _unit(0, 1, 0)])) == [1, 0]
    assert len(memory._tenants["acme"].vectors) == 2
    assert memory.other_conversations("acme", "c3", np.stack([macro])) == [2]
    assert memory.other_conversations("nobody", "c3", np.stack([macro])) == [0]


def test_scorer_signals():
    scorer = TemplatedScorer(PhraseIndex(load_library(), "templated", lambda texts: np.zeros((len(texts), 3))))
    pattern = scorer.score("We apologize for the inconvenience.", 0.0, 0, set())
    assert pattern.flag and pattern.signals["library"] == 1.0
    # Recurring short replies are not macros; recurring composed sentences are.
    assert scorer.score("Thanks!", 0.0, 5, set()).signals["macro"] == 0.0
    assert scorer.score("Your refund will arrive in five working days.", 0.0, 3, set()).flag
    # Taking the customer's own words lowers the score.
    generic = scorer.score("You can change the delivery address in your account settings page anytime.", 0.0, 0, set())
    personal = scorer.score(
        "You can change the delivery address in your account settings page anytime.",
        0.0,
        0,
        {"delivery", "address", "account", "settings"},
    )
    assert personal.score < generic.score
    assert not scorer.score("Both classes were on Saturday?", 0.0, 0, set()).flag
