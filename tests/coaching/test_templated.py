import numpy as np

from app.coaching.frameworks import load_library
from app.coaching.phrases import PhraseIndex
from app.coaching.templated import FLAG_AT, MACRO_WEAK, MacroMemory, TemplatedScorer, combine


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


def _scorer() -> TemplatedScorer:
    """The built-in library with a zero encoder: stock phrases match by pattern only."""
    return TemplatedScorer(PhraseIndex(load_library(), "templated", lambda texts: np.zeros((len(texts), 3))))


def test_scorer_signals():
    scorer = _scorer()
    pattern = scorer.score("We apologize for the inconvenience.", 0.0, 0, set())
    assert pattern.flag and pattern.signals["library"] == 1.0
    # Recurring short replies are hardly macros; recurring composed sentences are.
    assert scorer.score("Thanks!", 0.0, 2, set()).signals["macro"] < MACRO_WEAK
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


# Long, concrete replies written for one customer (hand-written, several kinds of company).
WRITTEN_FOR_THEM = [
    "I just looked at the tracking and the parcel has been sitting at the Leeds depot since Friday afternoon.",
    "That usually means the label got damaged, so I've asked the courier to re-scan it and call you before noon.",
    "The line test shows noise on your copper line that only appears when it's busy, which points at the cabinet.",
    "The second one happened because the payment page timed out and retried after your bank had approved the first.",
    "If you'd still like to cancel after that, I can do it for you right here and refund this month.",
    "Your phone's settings had data roaming switched on, probably from the US trip in January.",
]


def test_length_alone_never_makes_a_sentence_canned():
    scorer = _scorer()
    for sentence in WRITTEN_FOR_THEM:
        score = scorer.score(sentence, 0.2, 0, set())
        assert not score.flag, (sentence, score)
    assert scorer.score(WRITTEN_FOR_THEM[0], 0.2, 0, set()).score == 0.0


def test_a_macro_seen_in_one_other_conversation_is_weak_in_two_strong():
    scorer = _scorer()
    sentence = "Your refund has been processed and should reach your account within five working days."
    once, twice = scorer.score(sentence, 0.0, 1, set()), scorer.score(sentence, 0.0, 2, set())
    assert not once.flag and once.signals["macro"] == MACRO_WEAK
    assert twice.flag and twice.signals["macro"] > once.signals["macro"]
    # Weak evidence needs a second cue: here the third sentence of an unanswered burst.
    assert scorer.score(sentence, 0.0, 1, set(), 3).flag
    # Short lines recur everywhere without being anyone's macro.
    short = scorer.score("Sure thing!", 0.0, 2, set())
    assert not short.flag and 0 < short.signals["macro"] < MACRO_WEAK


def test_pasted_help_text_is_canned():
    scorer = _scorer()
    for sentence in [
        "For more information, visit https://help.example.com/router-lights.",
        "1. Unplug the router from the power for 30 seconds.",
        "2.",  # a numbered list split line by line: the marker on its own
        "#NAME?",  # what a spreadsheet export makes of a "- item" row
        "- Last 4 digits of the card on file",
        "€25.00 18 credits",
        "Hi {{first_name}}, your ticket has been received.",  # an unfilled macro field
    ]:
        assert scorer.score(sentence, 0.0, 0, set()).flag, sentence
    # Weak shapes need company: an interface how-to, or general advice to "you", is canned once
    # it comes deep in a burst of agent sentences the customer never answered.
    steps = "Go to Settings, select Billing, then click Update card and enter the new details."
    advice = "You can still use your credits and book classes while your account is paused."
    for sentence in (steps, advice):
        alone = scorer.score(sentence, 0.0, 0, set())
        assert not alone.flag and alone.signals["form"] > 0, sentence
        assert scorer.score(sentence, 0.0, 0, set(), 3).flag, sentence
    # A burst alone is not enough: a long typed explanation runs long too.
    assert not scorer.score(WRITTEN_FOR_THEM[2], 0.0, 0, set(), 6).flag
    # A redaction token is weak evidence of a filled macro, not a flag.
    named = scorer.score("Thanks for confirming those details, #NAME#.", 0.0, 0, set())
    assert not named.flag and named.signals["slot"] > 0


def test_this_customers_details_discount_the_score():
    scorer = _scorer()
    sentence = "Your order 48213 will leave our warehouse within two working days."
    generic = scorer.score(sentence, 0.0, 1, set(), 3)
    assert generic.flag
    personal = scorer.score(sentence, 0.0, 1, set(), 3, customer_details=["48213", "Tuesday"])
    assert not personal.flag and personal.signals["personal"] > 0
    # Whole tokens only: a different order number is not their detail.
    assert scorer.score(sentence, 0.0, 1, set(), 3, customer_details=["4821"]).signals["personal"] == 0
    # Echoing their topic words counts, but less than a detail they gave.
    echo = scorer.score(sentence, 0.0, 1, {"order", "warehouse"}, 3)
    assert 0 < echo.signals["personal"] < personal.signals["personal"] + 0.25
    assert personal.score < echo.score < generic.score


def test_combine_rebuilds_the_score_from_its_signals():
    scorer = _scorer()
    sentence = "Please note that the refund can take up to 10 days, see https://x.example.com."
    score = scorer.score(sentence, 0.0, 2, set())
    assert abs(combine(score.signals) - score.score) < 1e-4
    assert combine(score.signals, without="macro") < score.score
    assert combine(score.signals, without="form") < score.score
    assert combine({"macro": 0.85, "personal": 1.0}, without="personal") == 0.85
    assert combine({"macro": 0.85, "personal": 1.0}) < FLAG_AT
