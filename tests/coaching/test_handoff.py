from tests.coaching.conftest import conversation


def test_handoff_summary_carries_the_story_so_nobody_asks_again(engine):
    state = engine.new_state("h-1")
    for turn in conversation(
        ("customer", "My router keeps dropping the connection every evening since Monday, order 66120."),
        ("agent", "I've reset your line from our side; you'll see the change within 10 minutes."),
        ("customer", "It dropped again. I want to speak to a supervisor."),
    ).turns:
        engine.add_turn(state, turn)
    summary = engine.handoff(state)
    assert summary["issue"] and "router" in summary["issue"]
    assert summary["details"]["order"] == "order 66120"
    assert any("reset your line" in s for s in summary["what_was_tried"])
    assert "escalation" in summary["cues_seen"]
    assert summary["customer_said"][-1].startswith("It dropped again")
    assert summary["learn_coverage"]["resolve"] is True
