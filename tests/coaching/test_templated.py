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
    assert memory._tenants["acme"].size == 2
    assert memory.other_conversations("acme", "c3", np.stack([macro])) == [2]
    assert memory.other_conversations("nobody", "c3", np.stack([macro])) == [0]


def test_macro_memory_keeps_the_newest_sentences_and_counts_at_most_two():
    memory = MacroMemory(threshold=0.9, max_per_tenant=3)
    macro, other = _unit(1, 0, 0), _unit(0, 1, 0)
    for conversation in ("c1", "c2", "c3"):
        memory.add("acme", conversation, ["Your refund is on its way."], np.stack([macro]))
    assert memory.other_conversations("acme", "new", np.stack([macro])) == [2]  # two or more
    memory.add("acme", "c4", ["Thanks for waiting."], np.stack([other]))  # c1's sentence drops out
    memory.add("acme", "c5", ["Thanks for waiting."], np.stack([other]))  # then c2's
    assert memory.other_conversations("acme", "new", np.stack([macro, other])) == [1, 2]
    assert memory.other_conversations("acme", "c3", np.stack([macro])) == [0]
    store = memory._tenants["acme"]
    assert store.size == 3 and ("c1", "Your refund is on its way.") not in store.seen
    memory.add("acme", "c1", ["Your refund is on its way."], np.stack([macro]))  # forgotten: stored again, c3 out
    assert memory.other_conversations("acme", "new", np.stack([macro])) == [1]
    assert memory.other_conversations("acme", "c1", np.stack([macro])) == [0]


def test_macro_memory_grows_past_its_first_block():
    memory = MacroMemory(threshold=0.9)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(600, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    memory.add("acme", "c1", [f"sentence {i}" for i in range(600)], vectors)
    assert memory._tenants["acme"].size == 600
    assert memory.other_conversations("acme", "c2", vectors[[0, 599]]) == [1, 1]


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
