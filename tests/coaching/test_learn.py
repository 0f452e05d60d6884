from app.coaching.frameworks import load_library
from app.coaching.learn import FrameworkMatcher, IdeaRenderer
from tests.coaching.conftest import run

matcher = FrameworkMatcher(load_library())


def test_learn_steps_are_detected_and_look_alikes_are_not():
    assert matcher.covered("learn", ["I'm sorry we charged you twice — that's on us."]) == ["apologize"]
    assert "apologize" not in matcher.covered("learn", ["I'm sorry you feel that way."])
    assert "apologize" not in matcher.covered("learn", ["We apologize for any inconvenience."])
    assert "empathize" not in matcher.covered("learn", ["I understand your frustration."])
    assert "resolve" in matcher.covered("learn", ["I've refunded the charge; you'll see it within 3 days."])
    assert "resolve" in matcher.covered("learn", ["I've frozen your card so no more payments can go through."])
    assert "note" in matcher.covered("learn", ["I've noted this on your account and I'll follow up tomorrow."])
    assert "listen" in matcher.covered("learn", ["So your parcel never arrived, is that right?"])
    assert "empathize" in matcher.covered("learn", ["I hear how angry you are, and I want to fix this."])
    assert "listen" not in matcher.covered("learn", ["It seems you're busy, so I'm going to close the chat."])
    assert "listen" not in matcher.covered("learn", ["So if you want to try a new class, book it in the app."])


def test_listen_is_suggested_until_the_agent_plays_back_what_the_customer_said(engine):
    analyses = run(
        engine,
        ("customer", "I don't understand these charges on my bill, what is this extra line for?"),
        ("agent", "Let me check your account."),
        ("agent", "So you're asking about the extra line on this month's bill?"),
    )
    assert "confusion" in {c.kind for c in analyses[0].customer.cues}  # as in seed scenario 5
    assert "listen" in [s.step for s in analyses[1].suggestions]
    assert "listen" not in [s.step for s in analyses[2].suggestions]


def test_ideas_are_grounded_and_never_repeat():
    step = load_library().framework("learn").step("apologize")
    renderer = IdeaRenderer()
    slots = {"issue": "you were charged twice", "order": "order 4471"}
    first = renderer.render(step, slots)
    assert first and all("{" not in idea for idea in first)
    assert any("charged twice" in idea for idea in first)
    assert not set(first) & set(renderer.render(step, slots))
    assert renderer.render(step, {}) == []  # nothing from this customer: no idea at all


def test_suggestions_follow_the_conversation(engine):
    analyses = run(
        engine,
        ("customer", "I've been charged twice for order 77120 and I'm really annoyed about it."),
        ("agent", "I'm sorry we charged you twice for order 77120, that's on us."),
        ("agent", "I've refunded the second charge; you'll see it within 3 days."),
        ("agent", "I've noted this on your account so nobody asks you again."),
    )
    first = [s.step for s in analyses[0].suggestions]
    assert first[0] in {"empathize", "apologize"}
    ideas = [idea for s in analyses[0].suggestions for idea in s.ideas]
    assert ideas and any("77120" in i or "charged twice" in i for i in ideas)
    assert analyses[1].learn_coverage["apologize"]
    assert analyses[2].learn_coverage["resolve"] and analyses[2].suggestions[0].step == "note"
    assert analyses[3].suggestions[0].step == "follow_up"
    cards = {(s.framework, s.step, tuple(s.ideas)) for a in analyses for s in a.suggestions}
    shown = [i for *_, ideas in cards for i in ideas]
    assert len(shown) == len(set(shown))  # no idea on two different suggestions


def test_a_suggestion_still_pending_keeps_its_ideas_and_never_runs_dry(engine):
    """The agent does nothing the suggestions ask for many turns: each stays on screen with the
    ideas it had (before, they ran dry after a turn or two), and no idea is on two suggestions."""
    turns = [("customer", "Hi, can you tell me when my order 55102 will be delivered?")]
    turns += [("agent", f"Thanks for waiting, still looking at this ({i}).") for i in range(6)]
    analyses = run(engine, *turns)
    for card in analyses[0].suggestions:
        later = [next((s for s in a.suggestions if s.step == card.step), None) for a in analyses[1:]]
        assert all(s is not None and s.ideas == card.ideas for s in later), card.step
    assert any(card.ideas for card in analyses[0].suggestions)
    cards = {(s.framework, s.step, tuple(s.ideas)) for a in analyses for s in a.suggestions}
    shown = [i for *_, ideas in cards for i in ideas]
    assert len(shown) == len(set(shown))


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


def test_no_resolve_prompt_for_a_customer_who_is_thanking_you(engine):
    question = run(engine, ("customer", "Can you tell me when my order 4471 ships?"))[0]
    assert "resolve" in [s.step for s in question.suggestions]
    done = run(engine, ("customer", "Can you tell me when my order 4471 ships?"), ("agent", "It ships today."),
               ("customer", "Perfect, thank you so much for your help!"))[2]  # fmt: skip
    assert done.customer.state.label == "satisfied"
    assert "resolve" not in [s.step for s in done.suggestions]


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


def test_an_answered_question_resolves_it_and_no_fix_is_chased(engine):
    """A question is resolved by an answer; with no problem reported there is no fix to note
    or follow up, so the coach goes quiet instead of prompting Note and 48-hour follow-ups."""
    asked = ("customer", "Can you tell me when my order 4471 ships?")
    waiting = run(engine, asked, ("agent", "Let me check that for you, one moment."))
    assert "resolve" in [s.step for s in waiting[1].suggestions]  # a holding line answers nothing
    answered = run(engine, asked, ("agent", "Your order 4471 ships tomorrow morning from our Leeds warehouse."))[1]
    assert "resolve" in answered.agent.learn_steps
    assert not {"resolve", "note", "follow_up"} & {s.step for s in answered.suggestions}
    problem = run(
        engine,
        ("customer", "My order 4471 arrived damaged, the screen is cracked."),
        (
            "agent",
            "I'm sorry it arrived damaged, that's on us. I've sent a replacement for order 4471; it ships today.",
        ),
    )[1]
    assert "note" in [s.step for s in problem.suggestions]  # a fix for a problem: note it
    reported = run(engine, ("customer", "The app logs me out every few minutes."))[0]
    assert "resolve" in [s.step for s in reported.suggestions]  # a problem without a question mark
