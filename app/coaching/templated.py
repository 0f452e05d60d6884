"""How canned an agent sentence reads, from general signals rather than any one company's text.

Four kinds of evidence, combined as independent chances (1 - Π(1 - s)):
- **library**: closeness in meaning to the stock phrases in frameworks/phrases (plus their patterns);
- **macro**: the same sentence, near-verbatim, in other conversations of the same tenant —
  the team's own macros, learned from traffic (`MacroMemory`).  Only for sentences of four
  words or more: "Yes." and "Thanks!" recur everywhere without being anyone's macro;
- **form**: the shape of pasted help text — long, explanatory, addressed to "you" in general;
- **burst**: deep in a run of agent sentences with no customer reply — a pasted block;
then discounted by **personalisation**: words and details taken from what this customer said.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import numpy as np

from app.coaching.analysis import TemplatedScore
from app.coaching.phrases import PhraseIndex
from app.coaching.text import content_words, words

FLAG_AT = 0.5
MACRO_MIN_WORDS = 4
NEAR_DUPLICATE = 0.9  # cosine of two sentences that are the same macro with small edits
_GENERIC_OPENING = re.compile(
    r"^\s*(you can|you may|you will|you'll|to (\w+ ){0,3}(please|you)|if you|please (note|follow|click|go|visit|"
    r"log|make sure|be aware|allow)|our |we (offer|provide|are|do|have)|this (is|includes|means)|in order to|"
    r"as (a|an|per)|[A-Z][\w#]* is an? )",
    re.I,
)


# A pasted table row or bullet: mostly prices/numbers, or a numbered/bulleted item.
_LIST_ITEM = re.compile(r"^\s*([-•*]|\d+[.)]|option #?\d)\s+\S|^\W*([$€£]|R\$)\s?\d[\d.,]*\s+\S+", re.I)


class _TenantMacros:
    """The newest `capacity` agent sentences of one tenant, as a ring.

    Vectors live in one matrix grown by doubling (nothing is re-stacked per query) and owners
    as small integers, so a query is one matrix product plus vectorised owner checks.  The
    service adds every agent turn it sees: the ring keeps memory bounded and drops the oldest."""

    def __init__(self, capacity: int, dimension: int) -> None:
        self.capacity = capacity
        self.matrix = np.zeros((min(capacity, 256), dimension), dtype=np.float32)
        self.owners = np.zeros(len(self.matrix), dtype=np.int64)
        self.keys: list[tuple[str, str]] = []  # (conversation, sentence) per slot
        self.seen: set[tuple[str, str]] = set()
        self.size = 0
        self._next = 0  # the slot to overwrite once full
        self._ids: dict[str, int] = {}  # conversation -> owner id (never reused)
        self._slots_held: dict[str, int] = {}
        self._last_id = 0

    def owner(self, conversation_id: str) -> int:
        """The owner id of a conversation; -1 when it holds no sentence."""
        return self._ids.get(conversation_id, -1)

    def put(self, key: tuple[str, str], vector: np.ndarray) -> None:
        conversation_id = key[0]
        if conversation_id not in self._ids:
            self._last_id += 1
            self._ids[conversation_id] = self._last_id
        if self.size < self.capacity:
            if self.size == len(self.matrix):
                grown = min(self.capacity, 2 * len(self.matrix))
                self.matrix = np.resize(self.matrix, (grown, self.matrix.shape[1]))
                self.owners = np.resize(self.owners, grown)
            slot = self.size
            self.size += 1
            self.keys.append(key)
        else:
            slot = self._next
            self._next = (slot + 1) % self.capacity
            self._forget(self.keys[slot])
            self.keys[slot] = key
        self.matrix[slot] = vector
        self.owners[slot] = self._ids[conversation_id]
        self.seen.add(key)
        self._slots_held[conversation_id] = self._slots_held.get(conversation_id, 0) + 1

    def _forget(self, key: tuple[str, str]) -> None:
        self.seen.discard(key)
        left = self._slots_held[key[0]] - 1
        if left:
            self._slots_held[key[0]] = left
        else:
            del self._slots_held[key[0]], self._ids[key[0]]


class MacroMemory:
    """Agent sentences seen per tenant, to spot a team's own macros by near-duplicates
    across conversations.  In memory; the service stores every agent turn, re-teaches it from
    the latest ones at start-up and, every few seconds, from those other workers stored
    (`LiveCoach.learn_stored_macros`, `LiveCoach.sync_macros`)."""

    def __init__(self, threshold: float = NEAR_DUPLICATE, max_per_tenant: int = 50_000) -> None:
        self.threshold = threshold
        self.max_per_tenant = max_per_tenant
        self._tenants: dict[str, _TenantMacros] = {}
        self._lock = threading.Lock()

    def add(self, tenant: str, conversation_id: str, sentences: Sequence[str], vectors: np.ndarray) -> None:
        """Remember a conversation's agent sentences; a sentence already stored for it is skipped."""
        if len(vectors) == 0:
            return
        with self._lock:
            store = self._tenants.get(tenant)
            if store is None:
                store = self._tenants[tenant] = _TenantMacros(self.max_per_tenant, vectors.shape[1])
            for sentence, vector in zip(sentences, vectors, strict=True):
                key = (conversation_id, sentence)
                if key not in store.seen:
                    store.put(key, vector)

    def other_conversations(self, tenant: str, conversation_id: str, vectors: np.ndarray) -> list[int]:
        """For each vector, how many *other* conversations hold a near-duplicate sentence:
        0, 1, or 2 meaning two or more (all the scorer tells apart; counting further would
        cost a set per query over every match of a common macro)."""
        with self._lock:
            store = self._tenants.get(tenant)
            if store is None or store.size == 0 or len(vectors) == 0:
                return [0] * len(vectors)
            similar = (vectors @ store.matrix[: store.size].T) >= self.threshold
            owners = store.owners[: store.size]
            own = store.owner(conversation_id)
            counts: list[int] = []
            for row in similar:
                others = owners[row]
                others = others[others != own]
                counts.append(0 if others.size == 0 else 1 if bool((others == others[0]).all()) else 2)
            return counts


class TemplatedScorer:
    def __init__(self, phrases: PhraseIndex) -> None:
        self.phrases = phrases  # every library whose flag is "templated"

    def score(
        self,
        sentence: str,
        similarity: float,
        other_conversations: int,
        customer_words: set[str],
        run_position: int = 1,
    ) -> TemplatedScore:
        """`run_position`: 1 for the first agent sentence after a customer turn, 2 for the next..."""
        n_words = len(words(sentence))
        library = 1.0 if self.phrases.pattern(sentence) else _ramp(similarity, 0.45, 0.7)
        macro = 0.0
        if n_words >= MACRO_MIN_WORDS and other_conversations:
            macro = 0.75 if other_conversations == 1 else 0.9
        generic = bool(_GENERIC_OPENING.match(sentence))
        form = 0.5 + 0.2 * generic if n_words >= 12 else 0.35 if generic and n_words >= 6 else 0.0
        if _LIST_ITEM.match(sentence):
            form = max(form, 0.5)
        burst = 0.0 if n_words < MACRO_MIN_WORDS else 0.5 if run_position >= 5 else 0.3 if run_position >= 3 else 0.0
        own = content_words(sentence)
        personal = len(own & customer_words) / len(own) if own else 0.0
        raw = 1.0 - (1.0 - library) * (1.0 - macro) * (1.0 - form) * (1.0 - burst)
        score = raw * (1.0 - 0.6 * personal)
        signals = {"library": library, "macro": macro, "form": form, "burst": burst, "personal": personal}
        return TemplatedScore(
            score=round(score, 4), flag=score >= FLAG_AT, signals={k: round(v, 3) for k, v in signals.items()}
        )


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))
