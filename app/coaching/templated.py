"""How canned an agent sentence reads: evidence that it was reused, not written for this customer.

Canned means *reused*, and reuse leaves traces that hold in any company's chats.  Length is
none of them: a long, careful answer written for one customer is not canned.  The evidence,
each a chance in [0, 1], combined as independent chances (1 - Π(1 - s)):

- **library**: closeness in meaning to the stock phrases in frameworks/phrases (their patterns
  count in full);
- **macro**: the same sentence, near-verbatim, in other conversations of the same tenant — the
  team's own macros, learned from traffic (`MacroMemory`).  In two or more other conversations
  it is strong evidence; in just one it is weak (a coincidence, or one agent's habit).  Short
  lines ("Sure.", "Thanks!") recur everywhere without being anyone's macro: they count little;
- **slot**: a fill-in field — an unrendered template field ("{{first_name}}") is a macro for
  certain; a redaction or fill token (#NAME#, <EMAIL_ADDRESS>) is weak evidence of one;
- **form**: the shape of pasted help text — links, list rows and numbered steps, help-centre
  phrases ("please note", "for more information"), how-to steps through an interface, general
  advice to "you" ("You can ...", "If you ...");
- **burst**: the 3rd, 5th... agent sentence with no customer reply in between: pasted blocks
  run long, typed replies rarely do;

then discounted by **personalisation**: details this customer gave (order ids, amounts, dates,
products) and, at half weight, their own words (their topic words are a macro's too).

Strong evidence (a pattern, a macro in 2+ conversations, a template field, a link or list row)
flags on its own; weak evidence (generic phrasing, a burst, a macro seen once, a redaction
token) needs a second, independent cue.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence

import numpy as np

from app.coaching.analysis import TemplatedScore
from app.coaching.phrases import PhraseIndex
from app.coaching.text import blank_placeholders, content_words, words

FLAG_AT = 0.5
NEAR_DUPLICATE = 0.9  # cosine of two sentences that are the same macro with small edits

# Evidence weights: >= FLAG_AT flags alone, below it needs a second cue.
MACRO_STRONG = 0.85  # a near-duplicate in two or more other conversations: the team's macro
MACRO_WEAK = 0.35  # in one other conversation only
MACRO_MIN_WORDS = 4  # below this many words a recurring line ("Sure.", "Thanks!") ...
SHORT_MACRO_SHARE = 0.4  # ... keeps this share of its macro weight
TEMPLATE_FIELD = 0.9  # "{{first_name}}": the macro tool left its field unfilled
FILL_TOKEN = 0.25  # #NAME#, <EMAIL_ADDRESS>, [ORDER_ID]: a value filled in (or masked) by a tool
LINK = 0.5  # a URL or a link token
LIST = 0.5  # a bullet or numbered row, "step 2", a price-list row, a lone list marker
HELP_PHRASE = 0.4  # "please note", "for more information", "help center", "keep in mind" ...
UI_STEP = 0.35  # how-to through an interface: "Click the ... button", "head to Settings"
GENERIC_YOU = 0.35  # general advice: "You can ...", "If you ...", "Our ...", "In order to ..."
# (the cues' patterns do not overlap: one phrase is one piece of evidence, not two)
GENERIC_MIN_WORDS = 6
BURST = 0.25  # 3rd or 4th agent sentence with no customer reply
BURST_DEEP = 0.4  # 5th or later
PERSONAL_DISCOUNT = 0.6  # a wholly personal sentence keeps 40% of its score
DETAIL_PERSONAL = 0.5  # it names a detail the customer gave (order, amount, date, product)
ECHO_PERSONAL = 0.5  # weight of the share of its content words the customer used

EVIDENCE = ("library", "macro", "slot", "form", "burst")  # combined as independent chances

_GENERIC_OPENING = re.compile(
    r"^\s*(you can|you may|you will|you'll|you would|to (\w+ ){0,3}(please|you)|if you|our |we (offer|provide|are|"
    r"do|have)|this (is|includes|means)|in order to|as per|[A-Z][\w#]* is an? )",
    re.I,
)
# A pasted table row or bullet: a bulleted or numbered item, or a price-list row.
_LIST_ITEM = re.compile(r"^\s*([-•*]|\d+[.)]|option #?\d)\s+\S|^\W*([$€£]|R\$)\s?\d[\d.,]*\s+\S+", re.I)
_STEP = re.compile(r"\bstep (\d+|one|two|three|four|five)\b", re.I)
# A line that is only a list marker ("1", "2.", "-"): a numbered block split line by line.  Also
# "#NAME?": what a spreadsheet export makes of a "- item" row (it reads it as a formula).
_LIST_MARKER = re.compile(r"^\s*(\d{1,2}[.)]?|[-•*]|#NAME\?)\s*$")
# How-to through an interface: "Click the blue 'Save' button", "Then tap the filter icon", "head to Settings".
_UI_STEP = re.compile(
    r"^\W*((then|now|next|first|finally|please|from there|there|once there),? )?(just |simply )?(click|tap|select|"
    r"navigate to|go to|head (over )?to|visit|follow the|log in|sign in|scroll|open the|press|choose)\b|"
    r"\b(button|drop-?down|menu|icon|tab|settings page|search page|(account|membership|profile) settings)\b",
    re.I,
)
_LINK = re.compile(r"https?://|\bwww\.|\b[\w-]+\.(com|org|net|io|co)(/\S*)?\b|#URL#|<URL>|\[(URL|LINK)\]", re.I)
_HELP_PHRASE = re.compile(
    r"\b(please (note|be aware|make sure|allow)|kindly|for (more|further) (information|details|info)|keep in mind|"
    r"as a (friendly )?reminder|help (center|centre)|FAQ|knowledge base|terms (and|&) conditions|(is|are) subject to|"
    r"at any time)\b",
    re.I,
)
_TEMPLATE_FIELD = re.compile(r"\{\{[^}]*\}\}|\{[a-z_]+\}")  # {{first_name}}, {name}
_FILL_TOKEN = re.compile(r"#[A-Z_]+#|<[A-Z_]{2,}>|\[[A-Z_]{2,}\]")  # #NAME#, <EMAIL_ADDRESS>, [ORDER_ID]


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
    """`score` one agent sentence; the module docstring says what it weighs."""

    def __init__(self, phrases: PhraseIndex) -> None:
        self.phrases = phrases  # every library whose flag is "templated"

    def score(
        self,
        sentence: str,
        similarity: float,
        other_conversations: int,
        customer_words: set[str],
        run_position: int = 1,
        *,
        customer_details: Sequence[str] = (),
    ) -> TemplatedScore:
        """`similarity`: the best cosine to a stock phrase; `other_conversations`: how many other
        conversations of the tenant hold a near-duplicate (0, 1, or 2 for two or more);
        `customer_words`: content words of the customer's recent turns; `run_position`: 1 for the
        first agent sentence after a customer turn, 2 for the next...; `customer_details`: what
        the customer gave — order ids, amounts, dates, products (`CustomerDetails`)."""
        n_words = len(words(blank_placeholders(sentence)))
        macro = 0.0
        if other_conversations:
            macro = MACRO_STRONG if other_conversations >= 2 else MACRO_WEAK
            if n_words < MACRO_MIN_WORDS:
                macro *= SHORT_MACRO_SHARE
        signals = {
            "library": 1.0 if self.phrases.pattern(sentence) else _ramp(similarity, 0.45, 0.7),
            "macro": macro,
            "slot": _slot(sentence),
            "form": _help_text(sentence, n_words),
            "burst": _burst(run_position) if n_words >= MACRO_MIN_WORDS else 0.0,  # not "OK", "Sure."
            "personal": _personal(sentence, customer_words, customer_details),
        }
        signals = {k: round(v, 3) for k, v in signals.items()}
        score = combine(signals)
        return TemplatedScore(score=round(score, 4), flag=score >= FLAG_AT, signals=signals)


def combine(signals: Mapping[str, float], without: str | None = None) -> float:
    """The templated score from a sentence's `signals` (as `TemplatedScorer.score` returns them);
    `without`: one signal left out (per-signal ablations in the evaluation)."""
    raw = 1.0 - float(np.prod([1.0 - signals.get(k, 0.0) for k in EVIDENCE if k != without]))
    personal = 0.0 if without == "personal" else signals.get("personal", 0.0)
    return raw * (1.0 - PERSONAL_DISCOUNT * personal)


def _slot(sentence: str) -> float:
    """A fill-in field: unrendered ("{{first_name}}") or a filled/redacted value (#NAME#)."""
    if _TEMPLATE_FIELD.search(sentence):
        return TEMPLATE_FIELD
    return FILL_TOKEN if _FILL_TOKEN.search(sentence) else 0.0


def _help_text(sentence: str, n_words: int) -> float:
    """The shape of pasted help text: each cue found counts as an independent chance."""
    cues = []
    if _LINK.search(sentence):
        cues.append(LINK)
    if _LIST_ITEM.match(sentence) or _LIST_MARKER.match(sentence) or _STEP.search(sentence):
        cues.append(LIST)
    if _HELP_PHRASE.search(sentence):
        cues.append(HELP_PHRASE)
    if _UI_STEP.search(sentence):
        cues.append(UI_STEP)
    if n_words >= GENERIC_MIN_WORDS and _GENERIC_OPENING.match(sentence):
        cues.append(GENERIC_YOU)
    return 1.0 - float(np.prod([1.0 - c for c in cues]))


def _burst(run_position: int) -> float:
    """Deep in a run of agent sentences with no customer reply: pasted blocks run long."""
    return BURST_DEEP if run_position >= 5 else BURST if run_position >= 3 else 0.0


def _personal(sentence: str, customer_words: set[str], customer_details: Sequence[str]) -> float:
    """How much of the sentence is this customer's, 0-1: a detail they gave, and the share of its
    content words they used (at half weight: "plan" or "refund" is their topic, and a macro's)."""
    own = content_words(sentence)
    echo = len(own & customer_words) / len(own) if own else 0.0
    detail = any(
        re.search(rf"(?<!\w){re.escape(d)}(?!\w)", sentence, re.I) for d in customer_details if len(d.strip()) >= 3
    )
    return min(1.0, DETAIL_PERSONAL * detail + ECHO_PERSONAL * echo)


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))
