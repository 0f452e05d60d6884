from models.labels import (
    CUSTOMER_STATES,
    EKMAN_GROUPS,
    GOEMOTIONS_LABELS,
    STATE_GROUPS,
    STATE_PRIORITY,
    sentiment_target,
    state_target,
)


def test_every_label_has_exactly_one_state_and_one_ekman_group():
    for groups in (STATE_GROUPS, EKMAN_GROUPS):
        members = [label for labels in groups.values() for label in labels]
        assert sorted(members) == sorted(GOEMOTIONS_LABELS)


def test_state_priority_covers_the_state_space():
    assert sorted(STATE_PRIORITY) == sorted(CUSTOMER_STATES)


def test_state_target_prefers_the_most_actionable_state():
    assert state_target(["neutral"]) == "neutral"
    assert state_target(["gratitude"]) == "satisfied"
    assert state_target(["gratitude", "annoyance"]) == "frustration"
    assert state_target(["annoyance", "anger"]) == "anger"
    assert state_target(["curiosity"]) == "neutral"  # a question asked with interest
    assert state_target(["curiosity", "confusion"]) == "confusion"
    assert state_target(["fear", "confusion"]) == "anxiety"
    assert state_target(["sadness"]) == "disappointment"
    assert state_target(["remorse"]) == "neutral"


def test_sentiment_target_is_majority_polarity():
    assert sentiment_target(["joy"]) == "positive"
    assert sentiment_target(["anger", "annoyance", "joy"]) == "negative"
    assert sentiment_target(["joy", "anger"]) == "neutral"
    assert sentiment_target(["confusion"]) == "neutral"
