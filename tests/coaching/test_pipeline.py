"""Engine v2 pieces without any model: detectors over a fake turn context, the ledger, the card
policy, and a tenant's own cue and agent check working from YAML alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.coaching import obligations, policy
from app.coaching.analysis import Cue, ScoredLabel, Span
from app.coaching.context import TurnContext
from app.coaching.conversation import Turn
from app.coaching.detectors import Detector
from app.coaching.detectors.jargon import JargonDetector
from app.coaching.detectors.phrase_cues import PhraseCueDetector
from app.coaching.detectors.phrase_flags import PhraseFlagDetector
from app.coaching.detectors.policy_over_people import PolicyOverPeopleDetector
from app.coaching.detectors.repeat_ask import RepeatAskDetector
from app.coaching.detectors.shouting import ShoutingDetector
from app.coaching.frameworks import load_library
from app.coaching.ledger import Ledger
from app.coaching.moves import MoveReading, SentenceClassifier
from app.coaching.state import ConversationState
from app.coaching.text import split_sentences

LIBRARY = load_library()


def no_vectors(texts) -> np.ndarray:
    """A stand-in encoder: every text far from every other (meaning matches never fire)."""
    vectors = np.zeros((len(texts), 8), np.float32)
    for i, _ in enumerate(texts):
        vectors[i, i % 8] = 1.0
    return vectors


def fake_context(state: ConversationState, role: str, text: str, moves: list[tuple[str, ...]] | None = None):
    """A turn context as the engine would build it, with hand-set moves and no model."""
    state.turns.append(Turn(role=role, text=text))  # type: ignore[arg-type]
    sentences = split_sentences(text)
    context = TurnContext(
        index=len(state.turns) - 1,
        turn=state.turns[-1],
        sentences=sentences,
        vectors=np.zeros((len(sentences), 8), np.float32),
        details=state.details,
    )
    if role == "agent":
        readings = moves or [()] * len(sentences)
        context.moves = [MoveReading(moves=m, scores={k: 0.9 for k in m}) for m in readings]
        context.compliance = [False] * len(sentences)
    else:
        context.reported_problem = state.details.update(text)
    return context


def test_every_default_detector_follows_the_protocol(engine):
    assert engine.detectors and all(isinstance(d, Detector) for d in engine.detectors)
    assert {d.role for d in engine.detectors} == {"customer", "agent"}
    assert len({d.name for d in engine.detectors}) == len(engine.detectors)


def test_shouting_is_capitals_not_placeholders():
    state = ConversationState("c")
    assert [c.kind for c in ShoutingDetector().run(fake_context(state, "customer", "WHERE IS MY ORDER"), state)]
    assert not ShoutingDetector().run(fake_context(state, "customer", "Call me on #PHONENUMBER# please"), state)


def test_repeat_ask_needs_an_ask_and_a_known_detail():
    state = ConversationState("c")
    fake_context(state, "customer", "My order 55120 never arrived.")
    detector = RepeatAskDetector()
    ask = fake_context(state, "agent", "Could you give me your order number?", [("ask_info",)])
    assert [f.kind for f in detector.run(ask, state)] == ["repeat_ask"]
    regret = fake_context(state, "agent", "Sorry you had to tell this story three times.", [("ask_repeat",)])
    assert detector.run(regret, state) == []  # not a request


def test_policy_over_people_is_the_refusal_move_unless_an_offer_comes_with_it():
    state = ConversationState("c")
    detector = PolicyOverPeopleDetector(LIBRARY)
    refusal = fake_context(state, "agent", "That is not something we do.", [("refusal",)])
    assert [f.kind for f in detector.run(refusal, state)] == ["policy_over_people"]
    context = fake_context(state, "agent", "We can't refund it, but I can credit it now.", [("refusal", "action")])
    context.moves = [MoveReading(moves=("refusal", "action"), scores={"refusal": 0.6, "action": 0.4})]
    assert detector.run(context, state) == []


def test_an_acronym_the_customer_never_used_is_jargon():
    state = ConversationState("c")
    fake_context(state, "customer", "My bag didn't arrive, I filed a report at the desk.")
    detector = JargonDetector(LIBRARY)
    assert [f.span.text for f in detector.run(fake_context(state, "agent", "Your PIR is logged."), state)] == ["PIR"]
    assert detector.run(fake_context(state, "agent", "I've emailed you the PDF."), state) == []


def test_ledger_owes_and_settles():
    ledger = Ledger()
    ledger.owe("empathy", 0, "upset")
    ledger.owe("empathy", 2, "again")
    assert ledger.open["empathy"].why == "upset" and ledger.owes("empathy")
    assert ledger.settle("empathy", 3) and not ledger.owes("empathy") and ledger.ever_settled("empathy")
    assert not ledger.settle("apology", 3)


def _customer(state: ConversationState, text: str, label: str, score: float = 0.9, cues=(), fault: str = "company"):
    context = fake_context(state, "customer", text)
    context.state = ScoredLabel(label=label, scores={label: score})
    context.cues = list(cues)
    obligations.customer_turn(context, state, LIBRARY, fault=fault)
    return context


def test_an_upset_turn_owes_empathy_apology_and_a_resolution_and_moves_settle_them():
    state = ConversationState("c")
    _customer(state, "You charged me twice for order 4471.", "anger")
    assert {"empathy", "apology", "resolution"} <= set(state.ledger.open)
    cards = policy.cards(state, LIBRARY, set())
    assert [c.step for c in cards] == ["empathize"]  # one card, the most urgent (apologize waits behind it)
    agent = fake_context(
        state, "agent", "I'm so sorry we charged you twice. I've refunded it.", [("apology",), ("action",)]
    )
    obligations.agent_turn(agent, state)
    assert not state.ledger.open and policy.cards(state, LIBRARY, set()) == []


def test_no_apology_is_owed_until_the_failure_is_ours():
    state = ConversationState("c")
    _customer(state, "My bill is £684 this month?!", "anger", fault="unknown")
    assert state.ledger.owes("empathy") and not state.ledger.owes("apology")  # empathy without blame


def test_no_apology_is_owed_for_what_the_company_did_not_cause():
    state = ConversationState("c")
    context = fake_context(state, "customer", "The storm knocked our power out and I'm furious.")
    context.state = ScoredLabel(label="anger", scores={"anger": 0.9})
    obligations.customer_turn(context, state, LIBRARY, fault="external")
    assert state.ledger.owes("empathy") and not state.ledger.owes("apology")


def test_the_next_card_comes_up_once_the_first_move_is_made():
    state = ConversationState("c")
    _customer(state, "You charged me twice for order 4471.", "anger")
    agent = fake_context(state, "agent", "That must be maddening, I completely get it.", [("acknowledge_feeling",)])
    obligations.agent_turn(agent, state)
    assert [c.step for c in policy.cards(state, LIBRARY, set())] == ["apologize"]


def test_a_satisfied_customer_settles_everything_and_a_plain_question_is_no_card():
    state = ConversationState("c")
    _customer(state, "This is ridiculous, my router is dead.", "frustration")
    _customer(state, "ok it works now, thank you so much!", "satisfied")
    assert not state.ledger.open
    _customer(state, "Does my plan include roaming?", "neutral")
    assert policy.cards(state, LIBRARY, set()) == []


def test_a_warm_transfer_clears_the_handoff_card():
    state = ConversationState("c")
    cue = PhraseCueDetector(LIBRARY, no_vectors).run(
        fake_context(state, "customer", "Let me speak to a manager."), state
    )
    state.turns.pop()
    _customer(state, "Let me speak to a manager.", "frustration", cues=cue)
    assert state.ledger.owes("handoff")
    move = fake_context(state, "agent", "I'm passing you to Sam with the full history.", [("warm_transfer",)])
    obligations.agent_turn(move, state)
    assert not state.ledger.owes("handoff")


def test_a_proactive_delay_notice_owes_its_missing_parts_until_a_later_turn_gives_them():
    state = ConversationState("c")
    notice = fake_context(state, "agent", "Your delivery is delayed by the carrier.", [()])
    obligations.agent_turn(notice, state)
    assert state.ledger.open["status_update"].parts == ("apologize", "action_plan", "next_update")
    follow = fake_context(state, "agent", "Sorry about this. Next update by 5pm Friday.", [("apology",), ("timeline",)])
    obligations.agent_turn(follow, state)
    assert state.ledger.open["status_update"].parts == ("action_plan",)


def test_an_update_to_everyone_may_apologise_in_stock_words_and_plan_with_a_follow_up():
    state = ConversationState("c")
    notice = fake_context(
        state,
        "agent",
        "An outage at our carrier is delaying alarm signals. I'm sorry for the worry this may cause. "
        "I'll check your panel again at 6pm and message you. Next update by 6pm.",
        [(), ("stock_apology",), ("follow_up",), ("timeline",)],
    )
    obligations.agent_turn(notice, state)
    assert not state.ledger.owes("status_update")


def test_an_acknowledgement_in_the_same_turn_as_an_action_settles_no_apology():
    """Acknowledged in an earlier turn, progress answers renewed frustration; acknowledged in this very
    turn beside an action ("I can see ... I have escalated this"), the apology is still owed."""
    state = ConversationState("c")
    _customer(state, "My 6 staff did not get paid today and the money never left my bank.", "frustration")
    assert state.ledger.owes("apology")
    turn = fake_context(
        state,
        "agent",
        "I can see how stressful this is. I have escalated this.",
        [("acknowledge_feeling",), ("action",)],
    )
    obligations.agent_turn(turn, state)
    assert not state.ledger.owes("empathy") and state.ledger.owes("apology")


def test_a_first_message_reporting_a_hold_or_a_denial_is_a_status_update_but_good_news_is_not():
    for notice in (
        "Your payment of £4,800 to Harlow Ltd is on hold for additional security checks.",
        "Your claim for the March visit was denied by your insurer.",
    ):
        state = ConversationState("c")
        obligations.agent_turn(fake_context(state, "agent", notice, [()]), state)
        assert state.ledger.open["status_update"].parts == ("apologize", "action_plan", "next_update"), notice
    state = ConversationState("c")
    obligations.agent_turn(fake_context(state, "agent", "Your new card has been dispatched today.", [()]), state)
    assert not state.ledger.owes("status_update")


def test_a_reply_mentioning_a_delay_is_not_a_status_update():
    state = ConversationState("c")
    _customer(state, "Where is my parcel?", "neutral")
    obligations.agent_turn(fake_context(state, "agent", "There's a delay at the depot.", [()]), state)
    assert not state.ledger.owes("status_update")


def test_a_tenants_cue_and_agent_check_work_from_yaml_alone(tmp_path: Path):
    (tmp_path / "cues.yaml").write_text(
        "kind: cues\nid: acme_cues\ncues:\n  regulator:\n    reason: threatens to go to the regulator\n"
        "    severity: alert\n    implies: anger\n    owes: [handoff]\n    patterns: ['\\bombudsman\\b']\n",
        encoding="utf-8",
    )
    (tmp_path / "promises.yaml").write_text(
        "kind: phrases\nid: acme_promises\nflag: over_promise\nreason: promises what we can't guarantee\n"
        "better_move: Say what you will do and when.\npatterns: ['\\bguarantee\\b']\n",
        encoding="utf-8",
    )
    library = load_library(tmp_path)
    state = ConversationState("c")
    cues = PhraseCueDetector(library, no_vectors).run(
        fake_context(state, "customer", "I'll go to the ombudsman"), state
    )
    assert [(c.kind, c.severity) for c in cues] == [("regulator", "alert")]
    flags = PhraseFlagDetector(library, no_vectors).run(
        fake_context(state, "agent", "I guarantee it arrives tomorrow."), state
    )
    assert [f.kind for f in flags] == ["over_promise"]


def test_the_move_classifier_learns_from_examples():
    examples = {"apology": ["sorry a", "sorry b"], "other": ["x", "y"]}
    vectors = {"sorry a": [1, 0], "sorry b": [0.9, 0.1], "x": [0, 1], "y": [0.1, 0.9]}

    def encode(texts):
        return np.array([vectors[t] for t in texts], np.float32)

    classifier = SentenceClassifier.train(examples, encode)
    readings = classifier.read(np.array([[1, 0], [0, 1]], np.float32))
    assert readings[0].moves == ("apology",) and readings[1].moves == ()


def test_a_trained_head_is_remembered_and_new_examples_retrain(tmp_path: Path):
    vectors = {"sorry a": [1, 0], "sorry b": [0.9, 0.1], "x": [0, 1], "y": [0.1, 0.9], "z": [0.2, 0.8]}
    calls: list[list[str]] = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([vectors.get(t, [0.5, 0.5]) for t in texts], np.float32)

    examples = {"apology": ["sorry a", "sorry b"], "other": ["x", "y"]}
    first = SentenceClassifier.train_cached(examples, encode, cache_dir=tmp_path)
    calls.clear()
    again = SentenceClassifier.train_cached(examples, encode, cache_dir=tmp_path)
    assert len(calls) == 1  # only the probe sentence: the head came from disk
    assert again.labels == first.labels and np.allclose(again.weights, first.weights)
    calls.clear()
    SentenceClassifier.train_cached({**examples, "other": ["x", "y", "z"]}, encode, cache_dir=tmp_path)
    assert len(calls) > 1 and len(list(tmp_path.glob("head-*.npz"))) == 2


def _prediction(
    state_label: str, upset: bool, emotions: dict[str, float] | None = None, labels=(), probability: float | None = None
):
    """An emotion-model reading set by hand: the state, and the calibrated upset decision."""
    from models.classifier import EmotionPrediction, Scored, Upset
    from models.labels import CUSTOMER_STATES

    scores = {s: (0.9 if s == state_label else 0.1 / 6) for s in CUSTOMER_STATES}
    return EmotionPrediction(
        text="",
        emotions=emotions or {},
        labels=list(labels),
        sentiment=Scored("neutral", {"negative": 0.1, "neutral": 0.8, "positive": 0.1}),
        customer_state=Scored(state_label, scores),
        upset=Upset(probability=probability or (0.75 if upset else 0.1), upset=upset, threshold=0.6),
        embedding=np.zeros(4, np.float32),
    )


def test_a_question_asked_with_interest_is_neutral_with_a_question_cue():
    from app.coaching.detectors.customer_state import CustomerStateDetector

    detector = CustomerStateDetector(LIBRARY)
    calm = fake_context(ConversationState("c"), "customer", "Hi there. Does the plan include roaming in Spain?")
    calm.prediction = _prediction("neutral", upset=False)
    cues = detector.run(calm, ConversationState("c"))
    assert [c.kind for c in cues] == ["question"] and cues[0].span.text.startswith("Does the plan")
    assert calm.state is not None and calm.state.label == "neutral"
    # The same words from a customer the model reads as upset: no "just answer it" cue.
    upset = fake_context(ConversationState("c"), "customer", "Hi there. Does the plan include roaming in Spain?")
    upset.prediction = _prediction("neutral", upset=True)
    assert detector.run(upset, ConversationState("c")) == []


def test_the_state_cue_names_only_the_fine_emotions_that_agree_with_it():
    from app.coaching.detectors.customer_state import CustomerStateDetector

    detector = CustomerStateDetector(LIBRARY)
    reasons = []
    for labels in (["amusement", "annoyance"], ["amusement"]):
        context = fake_context(ConversationState("c"), "customer", "oh great, another week without internet")
        context.prediction = _prediction("anger", upset=True, labels=labels)
        (cue,) = detector.run(context, ConversationState("c"))
        reasons.append(cue.reason)
    assert reasons == ["emotion model: anger 0.90 (emotions: annoyance)", "emotion model: anger 0.90"]


def test_upset_is_the_calibrated_upset_decision_not_the_state_label():
    from app.coaching.upset import is_upset

    frustrated = ScoredLabel(label="frustration", scores={"frustration": 0.9})
    neutral = ScoredLabel(label="neutral", scores={"neutral": 0.9})
    assert not is_upset(frustrated, [], LIBRARY, _prediction("frustration", upset=False))
    assert is_upset(neutral, [], LIBRARY, _prediction("neutral", upset=True))
    assert is_upset(frustrated, [], LIBRARY)  # no model reading (a fake context): the confident state


def test_a_customer_who_thanks_is_not_upset_on_the_models_word_alone():
    from app.coaching.analysis import Cue, Span
    from app.coaching.upset import is_upset

    flat = ScoredLabel(label="disappointment", scores={"disappointment": 0.7})
    thanks = _prediction("disappointment", upset=True, labels=["gratitude"])
    assert not is_upset(flat, [], LIBRARY, thanks)  # "fine. thanks i guess"
    abuse = Cue(kind="abuse", span=Span(start=0, end=7, text="useless"), reason="abusive language")
    assert is_upset(flat, [abuse], LIBRARY, thanks)  # "thanks for nothing, useless lot"
    signed_off = _prediction("disappointment", upset=True, labels=["gratitude"], probability=0.95)
    assert is_upset(flat, [], LIBRARY, signed_off)  # "... app take 71 euro, please return. Thank you."


def test_an_upset_customers_question_waits_for_the_acknowledgement():
    state = ConversationState("c")
    _customer(
        state, "My flight got cancelled and I'm stuck here with two kids. What do I do now?", "anxiety", fault="unknown"
    )
    assert state.ledger.owes("empathy") and state.ledger.owes("answer")
    assert [c.step for c in policy.cards(state, LIBRARY, set())] == ["empathize"]  # not "resolve" beside it
    agent = fake_context(state, "agent", "That sounds really stressful, I'm so sorry.", [("acknowledge_feeling",)])
    obligations.agent_turn(agent, state)
    assert "resolve" in [c.step for c in policy.cards(state, LIBRARY, set())]  # now the answer is due


def test_a_flat_reply_carries_upset_only_while_the_feeling_is_unacknowledged():
    state = ConversationState("c")
    _customer(state, "You cut off my internet AGAIN, I work from home!", "anger")
    _customer(state, "Gemma Rowe, 30/07/1979", "neutral")
    assert state.upset and state.ledger.owes("empathy")  # still upset: nobody has acknowledged it
    agent = fake_context(state, "agent", "I'm so sorry, losing your connection while working is awful.", [("apology",)])
    obligations.agent_turn(agent, state)
    _customer(state, "account 4471-22", "neutral")
    assert not state.upset  # acknowledged, and now a calm reply is taken at its word


def test_a_plainly_calm_reply_after_the_agent_acted_is_taken_at_its_word():
    """The agent acted on their case without an acknowledgement the classifier recognised; the customer
    then asks a plainly calm question ("Can you match £225?"): no empathy card nags on."""
    state = ConversationState("c")
    _customer(state, "My renewal went from £210 to £389, no claims. Why should I stay?", "anger")
    acted = fake_context(state, "agent", "I can take the accidental cover off, which brings it to £208.", [("action",)])
    obligations.agent_turn(acted, state)
    assert state.ledger.owes("empathy")
    _customer(state, "Still more than the other quote.", "neutral")
    assert state.upset  # no model reading in a fake context: a flat reply carries the upset
    calm = fake_context(state, "customer", "Can you match £225?")
    calm.state = ScoredLabel(label="neutral", scores={"neutral": 0.9})
    calm.prediction = _prediction("neutral", upset=False, probability=0.02)
    obligations.customer_turn(calm, state, LIBRARY, fault="company")
    assert not state.upset and not state.ledger.owes("empathy")


def _came_back_case(customer_text: str) -> ConversationState:
    """A retelling cue (as the cue head may read by meaning), then a fix offered."""
    state = ConversationState("c")
    cue = Cue(kind="repeat_story", span=Span(start=0, end=4, text="this"), reason="retold", severity="warn")
    _customer(state, customer_text, "frustration", cues=[cue])
    state.customer_text = customer_text  # as the engine accumulates it
    obligations.agent_turn(fake_context(state, "agent", "I've refunded the £42 now.", [("action",)]), state)
    return state


def test_a_follow_up_is_owed_only_to_a_customer_who_says_they_came_back():
    assert _came_back_case("Third time I'm contacting you about this charge.").ledger.owes("follow_up")
    # read as a retelling by meaning, but no word of an earlier contact: no note card to nag with
    assert not _came_back_case("Sorry, I dont understand, what is AP?").ledger.owes("follow_up")


def test_what_the_agent_does_beside_a_rule_counts_whatever_the_move_head_reads():
    """`TurnContext.offers`: "For this order I've set the milk to no substitutes" read as "other" by the
    head is still the agent acting; a plain statement beside the rule is not."""
    state = ConversationState("c")
    rule = "Substitutions are made when an item is out of stock."
    acted = fake_context(
        state, "agent", f"{rule} For this order I've set the milk to no substitutes.", [("refusal",), ()]
    )
    assert acted.offers(0)
    stated = fake_context(state, "agent", f"{rule} The milk was out of stock today.", [("refusal",), ()])
    assert not stated.offers(0)
    refused = fake_context(state, "agent", f"{rule} I've never been able to change that.", [("refusal",), ()])
    assert not refused.offers(0)


def test_a_feeling_that_passed_is_dropped_not_counted_as_acknowledged():
    """A calm first question, then an upset turn: the agent never acknowledged anything, so steps beside
    no acknowledgement settle no empathy (a calm turn used to mark it given)."""
    state = ConversationState("c")
    _customer(state, "Do employers see when I viewed their ad?", "neutral")
    _customer(state, "My CV won't upload and the job closes at midnight, I really need this.", "anxiety")
    assert not state.ledger.ever_settled("empathy")
    agent = fake_context(state, "agent", "I've checked the upload service for your account.", [("action",)])
    obligations.agent_turn(agent, state)
    assert state.ledger.owes("empathy")
