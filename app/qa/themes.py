"""Recurring customer issues: the customers' problem statements clustered by meaning, each cluster
named by its most distinctive words.

Clustering is scikit-learn's HDBSCAN on the sentence encoder's unit vectors (it finds however many
themes there are and leaves one-off complaints out as noise), with AgglomerativeClustering on cosine
distance as the fallback when there are too few statements for density to mean anything, or when
HDBSCAN calls nearly everything noise.  Names come from class-based TF-IDF (BERTopic's c-TF-IDF).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel, Field
from sklearn.cluster import HDBSCAN, AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

# Below this many statements HDBSCAN's density estimate is a handful of points: merge by distance instead.
FEW_STATEMENTS = 12
# HDBSCAN calling this share (or more) noise found no structure worth reporting: fall back.
NOISE_LIMIT = 0.75
# Average-linkage cosine distance under which statements join one theme in the fallback; on the
# MiniLM encoder 0.6-0.7 keeps "refund not received" apart from "parcel never arrived".
FALLBACK_DISTANCE = 0.6
# What the tokenizer leaves of "hasn't", "can't", "I've": never a distinctive word.
CONTRACTION_STUBS = frozenset(
    [
        "aren",
        "couldn",
        "didn",
        "doesn",
        "don",
        "hadn",
        "hasn",
        "haven",
        "isn",
        "ll",
        "mustn",
        "needn",
        "re",
        "shan",
        "shouldn",
        "ve",
        "wasn",
        "weren",
        "won",
        "wouldn",
    ]
)
# Chat filler that says nothing about what the issue is ("just", "hi", "pls"), beside the usual stop words.
CHAT_FILLER = frozenset(
    re.findall(
        r"\S+",
        "just hi hello hey thanks thank pls plz please ok okay yes yeah got get really im ive dont cant didnt doesnt "
        "wont lol u ur want need know like said say saying good did does time times day days week weeks month "
        "months year years today yesterday tomorrow still now again ago taken since",
    )
)
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | CONTRACTION_STUBS | CHAT_FILLER)
# Words of three letters or more that start with a letter: order numbers and amounts ("99") name no theme.
TERM_PATTERN = r"(?u)\b[^\W\d_][\w-]{2,}\b"  # no apostrophes: "landlord's" counts as "landlord"
NAME_TERMS = 3
THEME_TERMS = 8
NOISE = -1
# Most statements clustered at once: HDBSCAN (brute force) holds an n x n matrix (4,000: 128 MB). A
# larger week is clustered on an evenly spaced sample, then every statement joins the theme whose
# centre it is as near as the sample's members were (else none).
MAX_CLUSTERED = 4000


class Theme(BaseModel):
    """A recurring customer issue: what it is about, how common it is and two typical statements."""

    name: str = Field(description="its top distinctive terms, e.g. 'refund / received / money'")
    terms: list[str] = Field(description="the most distinctive words and bigrams, best first")
    size: int = Field(ge=1, description="problem statements in the theme")
    share: float = Field(ge=0.0, le=1.0, description="size over all non-empty problem statements given")
    examples: list[str] = Field(description="the statements closest to the theme's centre")


def min_cluster_size(count: int) -> int:
    """The smallest group that counts as a theme: 2% of the statements, between 3 and 50."""
    return max(3, min(50, count // 50))


def _hdbscan_labels(vectors: np.ndarray, smallest: int) -> np.ndarray:
    # Euclidean distance on unit vectors orders pairs as cosine distance does.  Brute force: trees
    # don't prune in 384 dimensions (5,000 statements: 0.9 s brute, 13 s with the default tree);
    # the price is an n x n distance matrix (10,000 statements: 800 MB).
    clusterer = HDBSCAN(
        min_cluster_size=smallest,
        min_samples=min(smallest, 5),
        metric="euclidean",
        algorithm="brute",
        copy=True,
    )
    return clusterer.fit_predict(vectors)


def _agglomerative_labels(vectors: np.ndarray, smallest: int) -> np.ndarray:
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=FALLBACK_DISTANCE
    ).fit_predict(vectors)
    # Groups too small to be "recurring" are noise, as HDBSCAN would call them.
    sizes = np.bincount(labels)
    return np.where(sizes[labels] >= smallest, labels, NOISE)


def cluster_labels(vectors: np.ndarray) -> np.ndarray:
    """One label per row (NOISE for statements in no theme): HDBSCAN, else the agglomerative fallback;
    more rows than MAX_CLUSTERED: clustered on a sample, the rest assigned to the nearest theme."""
    if len(vectors) > MAX_CLUSTERED:
        return _sampled_labels(vectors)
    return _labels(vectors)


def _sampled_labels(vectors: np.ndarray) -> np.ndarray:
    sample = np.linspace(0, len(vectors) - 1, MAX_CLUSTERED).round().astype(int)  # deterministic, spread out
    sample_labels = _labels(vectors[sample])
    themes = sorted(set(sample_labels.tolist()) - {NOISE})
    if not themes:
        return np.full(len(vectors), NOISE)
    centres = np.stack([vectors[sample][sample_labels == t].mean(axis=0) for t in themes])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    # Each theme's reach: the least similarity of one of its sample members to its centre.
    reach = np.array([(vectors[sample][sample_labels == t] @ centres[k]).min() for k, t in enumerate(themes)])
    similarity = vectors @ centres.T
    nearest = similarity.argmax(axis=1)
    within = similarity[np.arange(len(vectors)), nearest] >= reach[nearest]
    labels = np.where(within, np.asarray(themes)[nearest], NOISE)
    labels[sample] = sample_labels  # the sample keeps what the clustering said
    return labels


def _labels(vectors: np.ndarray) -> np.ndarray:
    count = len(vectors)
    if count < 2:
        return np.full(count, NOISE)
    if count < FEW_STATEMENTS:
        return _agglomerative_labels(vectors, 2)
    smallest = min_cluster_size(count)
    labels = _hdbscan_labels(vectors, smallest)
    if np.mean(labels == NOISE) >= NOISE_LIMIT or not np.any(labels != NOISE):
        return _agglomerative_labels(vectors, smallest)
    return labels


def class_tfidf_terms(documents: Sequence[str], limit: int = THEME_TERMS) -> list[list[str]]:
    """The most distinctive terms of each class document (a class's texts joined), by c-TF-IDF.

    BERTopic's formula, written here in a few lines rather than depending on BERTopic (which
    brings UMAP, its own HDBSCAN and plotly): tf is each term's share of its class's words,
    idf = log(1 + mean words per class / the term's frequency over all classes)."""
    vectorizer = CountVectorizer(stop_words=STOP_WORDS, ngram_range=(1, 2), token_pattern=TERM_PATTERN)
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # nothing but stop words in every class
        return [[] for _ in documents]
    vocabulary = vectorizer.get_feature_names_out()
    words_per_class = counts.sum(axis=1)
    idf = np.log(1.0 + words_per_class.mean() / counts.sum(axis=0))
    tf = counts / np.maximum(words_per_class, 1.0)[:, None]
    scores = tf * idf
    terms: list[list[str]] = []
    for row in scores:
        # Best score first, ties alphabetical, so the same input always gives the same names.
        order = sorted((i for i in np.flatnonzero(row > 0)), key=lambda i: (-row[i], vocabulary[i]))
        terms.append(_distinct([str(vocabulary[i]) for i in order], limit))
    return terms


def _distinct(ranked_terms: list[str], limit: int) -> list[str]:
    """Drop a term whose words the chosen terms already say ('package' after 'package arrived')."""
    chosen: list[str] = []
    said: set[str] = set()
    for term in ranked_terms:
        words = set(term.split())
        if words <= said:
            continue
        chosen.append(term)
        said |= words
        if len(chosen) == limit:
            break
    return chosen


def _closest_to_centre(texts: list[str], vectors: np.ndarray, count: int) -> list[str]:
    centre = vectors.mean(axis=0)
    similarity = vectors @ (centre / max(float(np.linalg.norm(centre)), 1e-12))
    order = sorted(range(len(texts)), key=lambda i: (-float(similarity[i]), i))
    closest: list[str] = []
    for i in order:  # the same statement twice is one example
        if texts[i] not in closest:
            closest.append(texts[i])
        if len(closest) == count:
            break
    return closest


def find_themes(
    statements: Sequence[str],
    encode: Callable[[Sequence[str]], np.ndarray],
    *,
    top: int = 5,
    examples: int = 2,
) -> list[Theme]:
    """The `top` largest recurring themes among `statements`, biggest first.

    `encode` returns one L2-normalised row per text (SentenceEncoder.encode).  Empty statements
    are ignored; statements in no theme count in the shares' denominator but in no theme."""
    texts = [text.strip() for text in statements if text and text.strip()]
    if len(texts) < 2:
        return []
    vectors = np.asarray(encode(texts), dtype=np.float64)
    labels = cluster_labels(vectors)
    clusters = [np.flatnonzero(labels == label) for label in sorted(set(labels.tolist()) - {NOISE})]
    # Biggest first; equal sizes in order of their first statement.
    clusters.sort(key=lambda members: (-len(members), int(members[0])))
    if not clusters:
        return []
    # Every theme is a class for the idf, shown or not: a word common to all of them names none.
    terms_per_theme = class_tfidf_terms([" ".join(texts[i] for i in members) for members in clusters])
    themes: list[Theme] = []
    for members, terms in zip(clusters[:top], terms_per_theme[:top], strict=True):
        member_texts = [texts[i] for i in members]
        typical = _closest_to_centre(member_texts, vectors[members], examples)
        themes.append(
            Theme(
                name=" / ".join(terms[:NAME_TERMS]) if terms else typical[0][:60],
                terms=terms,
                size=len(members),
                share=len(members) / len(texts),
                examples=typical,
            )
        )
    return themes
