"""Recurring themes: forty problem statements in four topics (tests/fixtures/qa/problem_statements.json)
must come back as four themes named by their topic's words, with the real MiniLM encoder; plus the
fallback paths and c-TF-IDF's ranking on small hand-made inputs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from app.qa import themes as themes_module
from app.qa.themes import NOISE, class_tfidf_terms, cluster_labels, find_themes

STATEMENTS = Path(__file__).parents[1] / "fixtures" / "qa" / "problem_statements.json"
# Words that can only name one topic; a theme's name must use at least one, of one topic only.
TOPIC_WORDS = {
    "refund": {"refund", "refunds", "money", "paid", "return", "returned", "credited"},
    "delivery": {"package", "parcel", "delivered", "delivery", "arrived", "tracking", "courier", "shipment"},
    "login": {"log", "login", "password", "sign", "locked", "reset"},
    "crash": {"app", "crash", "crashes", "crashing", "crashed", "freezes"},
}


@pytest.fixture(scope="module")
def labelled() -> list[tuple[str, str]]:
    rows = json.loads(STATEMENTS.read_text(encoding="utf-8"))["statements"]
    return [(row["topic"], row["text"]) for row in rows]


@pytest.fixture(scope="module")
def encode(qa_engine):
    return qa_engine.encoder.encode


def topic_of(name: str) -> set[str]:
    words = set(name.replace("/", " ").split())
    return {topic for topic, vocabulary in TOPIC_WORDS.items() if words & vocabulary}


def test_the_clusters_recover_the_four_topics(labelled, encode):
    topics = [topic for topic, _ in labelled]
    labels = cluster_labels(np.asarray(encode([text for _, text in labelled])))
    clusters = [[topics[i] for i in np.flatnonzero(labels == label)] for label in set(labels.tolist()) - {NOISE}]
    assert len(clusters) == 4
    majorities = []
    for members in clusters:
        topic, count = Counter(members).most_common(1)[0]
        assert count / len(members) >= 0.8, members  # each theme is mostly one topic
        majorities.append(topic)
    assert sorted(majorities) == sorted(TOPIC_WORDS)  # and each topic is one theme
    assert np.mean(labels == NOISE) <= 0.2


def test_themes_are_named_by_their_topic_and_show_typical_statements(labelled, encode):
    topic_by_text = {text: topic for topic, text in labelled}
    found = find_themes([text for _, text in labelled], encode, top=5, examples=2)
    assert len(found) == 4
    named = []
    for theme in found:
        topics = topic_of(theme.name)
        assert len(topics) == 1, theme.name  # the name says one topic, not a mix
        (topic,) = topics
        named.append(topic)
        assert len(theme.name.split(" / ")) == 3
        assert theme.name.split(" / ") == theme.terms[:3]
        assert len(theme.examples) == 2 and len(set(theme.examples)) == 2
        assert all(topic_by_text[example] == topic for example in theme.examples)
        assert theme.share == pytest.approx(theme.size / len(labelled))
    assert sorted(named) == sorted(TOPIC_WORDS)
    sizes = [theme.size for theme in found]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) >= 32


def test_top_limits_the_themes_and_the_result_is_deterministic(labelled, encode):
    texts = [text for _, text in labelled]
    assert len(find_themes(texts, encode, top=2)) == 2
    assert find_themes(texts, encode) == find_themes(list(texts), encode)


def test_a_handful_of_statements_is_grouped_by_the_fallback(labelled, encode):
    few = [text for topic, text in labelled if topic == "refund"][:3] + [
        text for topic, text in labelled if topic == "crash"
    ][:3]
    found = find_themes(few, encode)
    assert [topic_of(theme.name) for theme in found] in ([{"refund"}, {"crash"}], [{"crash"}, {"refund"}])
    assert [theme.size for theme in found] == [3, 3]


def fake_encoder(groups: dict[str, int], seed: int = 0):
    """Texts starting with a group's key get that group's direction plus a little noise."""
    rng = np.random.default_rng(seed)
    directions = {key: rng.normal(size=16) for key in groups}

    def encode(texts: Sequence[str]) -> np.ndarray:
        rows = [directions[text.split()[0]] + rng.normal(scale=0.05, size=16) for text in texts]
        matrix = np.asarray(rows)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    return encode


def test_when_hdbscan_calls_everything_noise_agglomerative_clustering_takes_over(monkeypatch):
    encode = fake_encoder({"refund": 0, "login": 1})
    texts = [f"refund late number {i}" for i in range(15)] + [f"login broken number {i}" for i in range(15)]
    assert [theme.size for theme in find_themes(texts, encode)] == [15, 15]  # HDBSCAN's own answer
    monkeypatch.setattr(themes_module, "_hdbscan_labels", lambda vectors, smallest: np.full(len(vectors), NOISE))
    found = find_themes(texts, encode)
    assert [theme.size for theme in found] == [15, 15]
    assert sorted(("refund" in theme.terms, "login" in theme.terms) for theme in found) == [
        (False, True),
        (True, False),
    ]


def test_class_tfidf_prefers_a_rarer_distinctive_word_over_a_shared_frequent_one():
    # "order" is the most frequent word of both classes but says nothing about either.
    terms = class_tfidf_terms(["refund order order", "crash order order"], limit=3)
    assert terms[0][0] == "refund" and terms[1][0] == "crash"
    assert class_tfidf_terms(["the and of", "is it"]) == [[], []]  # nothing but stop words


def test_nothing_to_cluster():
    def never(texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("no encoding needed")

    assert find_themes([], never) == []
    assert find_themes(["", "   "], never) == []
    assert find_themes(["only one"], never) == []


def test_a_week_larger_than_one_clustering_is_sampled_and_every_statement_placed(monkeypatch):
    """Above MAX_CLUSTERED the n x n matrix would not fit: a spread sample is clustered and every
    statement joins the theme it is as near to as the sample's members were, or none."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 384))
    rows, truth = [], []
    for topic in range(3):
        rows.append(centres[topic] + rng.normal(scale=0.35, size=(300, 384)))
        truth += [topic] * 300
    outliers = rng.normal(size=(30, 384)) * 3  # far from every topic
    vectors = np.vstack([*rows, outliers])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    truth += [NOISE] * 30
    monkeypatch.setattr(themes_module, "MAX_CLUSTERED", 200)
    clustered: list[int] = []
    real_labels = themes_module._labels
    monkeypatch.setattr(themes_module, "_labels", lambda rows: clustered.append(len(rows)) or real_labels(rows))
    labels = cluster_labels(vectors)
    assert clustered == [200] and len(labels) == len(vectors)
    for topic in range(3):
        members = labels[np.asarray(truth) == topic]
        assert Counter(members.tolist()).most_common(1)[0][1] >= 0.9 * 300  # one theme per topic (a few past its reach)
    assert len({int(Counter(labels[np.asarray(truth) == t].tolist()).most_common(1)[0][0]) for t in range(3)}) == 3
    assert np.mean(labels[-30:] == NOISE) >= 0.9  # outliers stay out of the themes
