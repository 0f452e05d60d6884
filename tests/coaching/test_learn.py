from app.coaching.frameworks import load_library
from app.coaching.learn import FrameworkMatcher, IdeaRenderer
from tests.coaching.conftest import run


def test_moves_by_meaning_cover_learn_steps(engine):
    """The agent-move classifier recognises the steps, including plain sincere apologies,
    acknowledgements of anger and promises to check back on a given day."""
    cases = {
        "I'm really sorry about this.": "apologize",
        "I hear how angry you are, and you have every right to be.": "empathize",
        "I'll check back with you on Thursday to make sure it went through.": "note",
        "I've refunded the charge; you'll see it within 3 days.": "resolve",
        "So your parcel never arrived, is that right?": "listen",
    }
    matcher = FrameworkMatcher(engine.library)
    for sentence, step in cases.items():
        reading = engine.moves.read(engine.encoder.encode([sentence]))[0]
        assert step in matcher.covered("learn", [(sentence, reading.moves)]), (sentence, reading)
    refusal = "Unfortunately that's against our policy."
    reading = engine.moves.read(engine.encoder.encode([refusal]))[0]
    assert "resolve" not in matcher.covered("learn", [(refusal, reading.moves)])  # a refusal is not Resolve


def test_ideas_are_grounded_and_never_repeat():
    step = load_library().framework("learn").step("apologize")
    renderer = IdeaRenderer()
    slots = {"issue": "you were charged twice", "order": "order 4471"}
    first = renderer.render(step, slots, conditions={"company_fault"})
    assert first and all("{" not in idea for idea in first)
    assert any("charged twice" in idea for idea in first)
    assert not set(first) & set(renderer.render(step, slots, conditions={"company_fault"}))
    # Ownership language only when the failure is the company's.
    assert not any("on us" in idea for idea in IdeaRenderer().render(step, slots))
    assert renderer.render(step, {}) == []  # nothing from this customer: no idea at all


def test_incremental_equals_whole_conversation(engine):
    from app.coaching.conversation import Conversation, Turn

    turns = [
        ("customer", "My package never arrived and this is the second time I'm writing!"),
        ("agent", "We apologize for the inconvenience. Could you share your order number?"),
        ("customer", "It's 99812."),
        ("agent", "Thanks, I've re-sent it with express delivery."),
    ]
    conversation = Conversation(conversation_id="inc", turns=[Turn(role=r, text=t) for r, t in turns])
    whole = engine.analyze(conversation)
    state = engine.new_state("inc")
    one_by_one = [engine.add_turn(state, turn) for turn in conversation.turns]
    bulk = engine.analyze_many([conversation])[0]
    assert [a.model_dump() for a in one_by_one] == [a.model_dump() for a in whole] == [a.model_dump() for a in bulk]


def test_one_card_per_move_when_two_frameworks_ask_for_it(engine):
    """An upset customer owed an apology, then a status update with no apology: proactive-update
    and L.E.A.R.N. both ask to apologize; the sidebar shows it once."""
    analyses = run(
        engine,
        ("customer", "My parcel is late again and I'm really annoyed about it."),
        ("agent", "I can imagine how frustrating that is."),
        ("agent", "Your order is delayed due to weather."),
    )
    steps = [s.step for s in analyses[2].suggestions]
    assert "apologize" in steps and len(steps) == len(set(steps))


def test_ideas_quote_the_customer_in_the_agents_voice_and_own_only_our_faults(engine):
    ours = run(engine, ("customer", "You charged me twice for order 55120 and I'm furious about it."))[0]
    ideas = [idea for card in ours.suggestions for idea in card.ideas]
    assert any("we charged you twice" in idea for idea in ideas), ideas
    assert not any("you charged you" in idea or "charged me" in idea for idea in ideas)
    storm = run(engine, ("customer", "The storm knocked out the power and my freezer food is ruined, I'm so upset."))[0]
    steps = [card.step for card in storm.suggestions]
    ideas = [idea for card in storm.suggestions for idea in card.ideas]
    assert "apologize" not in steps and not any("on us" in idea for idea in ideas)


def test_a_question_is_never_quoted_as_a_statement(engine):
    analyses = run(engine, ("customer", "Why is my bill so high this month?? This is ridiculous."))
    ideas = [idea for card in analyses[0].suggestions for idea in card.ideas]
    assert not any("why is" in idea.lower() for idea in ideas), ideas


def test_a_process_described_for_anyone_or_a_rule_hidden_behind_resolves_nothing(engine):
    """A resolution stays owed after "Fare adjustments are reviewed within 3-5 business days" (how things
    go for anyone) and after a refusal flagged policy over people; it is settled when the agent acts."""
    from app.coaching.conversation import Turn

    overcharged = "The app charged me 71 euro for a 25 euro ride, the driver took a long way. Refund me."
    owed = {}
    for name, reply in {
        "process": "Fare adjustments are reviewed within 3-5 business days.",
        "refusal": "Unfortunately we are unable to adjust fares through chat, as per our policy.",
        "acted": "I've refunded the 46 euro difference to your card today.",
    }.items():
        state = engine.new_state(f"c-{name}")
        engine.add_turn(state, Turn(role="customer", text=overcharged))
        assert state.ledger.owes("resolution")
        engine.add_turn(state, Turn(role="agent", text=reply))
        owed[name] = state.ledger.owes("resolution")
    assert owed == {"process": True, "refusal": True, "acted": False}
