"""Small text utilities the detectors share: sentences, content words, customer details."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from app.coaching.analysis import Span
from app.coaching.phrasing import issue_clause, quote
from app.pii.streets import STREET_PATTERNS

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9#@])|\n+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "so",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "i",
        "me",
        "my",
        "we",
        "our",
        "us",
        "you",
        "your",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "ok",
        "okay",
        "just",
        "also",
        "very",
        "really",
        "all",
        "any",
        "some",
        "more",
        "most",
        "about",
        "into",
        "than",
        "then",
        "too",
        "up",
        "out",
        "over",
        "again",
        "get",
        "got",
        "im",
        "i'm",
        "it's",
        "dont",
        "don't",
        "can't",
        "cant",
        "i've",
        "ive",
        "i'll",
        "ill",
        "you're",
        "youre",
    ]
)


def split_sentences(text: str) -> list[Span]:
    """Sentence spans (regex: punctuation then a capital, or a line break)."""
    return list(_split_sentences(text))


@lru_cache(maxsize=16_384)
def _split_sentences(text: str) -> tuple[Span, ...]:
    # Cached: a turn's text is split for the encoder warm-up, the macro memory and the
    # analysis, and agents send the same lines all day. Spans are never mutated.
    spans: list[Span] = []
    start = 0
    for match in [*_SENTENCE_END.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            offset = start + chunk.index(stripped)
            spans.append(Span(start=offset, end=offset + len(stripped), text=stripped))
        if match:
            start = match.end()
    return tuple(spans)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


# Anonymiser, redaction and macro placeholders (#NAME#, <EMAIL_ADDRESS>, [ORDER_ID], {{name}}): not words.
_PLACEHOLDER = re.compile(r"#[A-Z_]+[#?]|<[A-Z_]{2,}>|\[[A-Z_]{2,}\]|\{\{[^}]*\}\}")


def mostly_capitals(text: str, min_letters: int = 1) -> bool:
    """Over 60% of the letters are capitals (and there are at least `min_letters`)."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= max(min_letters, 1) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def blank_placeholders(text: str) -> str:
    """`text` with placeholders blanked out, same length (offsets into it stay valid)."""
    return _PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), text)


def content_words(text: str) -> set[str]:
    return {w for w in words(_PLACEHOLDER.sub(" ", text)) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())}


def is_question(text: str) -> bool:
    return "?" in text or bool(
        re.match(r"\s*(how|why|what|when|where|which|who|can|could|would|will|is|are|do|does|did)\b", text, re.I)
    )


STORY_WORDS = 12  # a customer turn this long tells their story

# Words every support chat shares: using them is not personalising ("your order", "business days").
GENERIC_SUPPORT_WORDS = frozenset(
    [
        "order",
        "orders",
        "day",
        "days",
        "business",
        "account",
        "service",
        "help",
        "issue",
        "issues",
        "problem",
        "problems",
        "time",
        "today",
        "customer",
        "thing",
        "things",
        "still",
        "again",
        "get",
        "got",
        "want",
        "need",
        "please",
        "thanks",
        "thank",
        "sorry",
        "just",
        "know",
        "really",
        "one",
        "week",
        "weeks",
        "month",
        "months",
        "hour",
        "hours",
        "minute",
        "minutes",
        "number",
        "email",
        "phone",
        "call",
        "called",
        "support",
        "team",
        "company",
        "money",
        "refund",
        "payment",
        "charge",
        "charged",
        "bill",
        "billing",
        "working",
        "work",
        "works",
        "app",
        "website",
        "online",
    ]
)

ID_KINDS = (
    "order|ticket|case|invoice|booking|reservation|account|ref(?:erence)?|plan|policy|claim|job|tracking|"
    "membership|member|customer|application|contract|permit|registration|parcel|consignment|ride|trip|"
    "journey|transaction|payment|installation|shipment|return|subscription|serial|card|unit|device|meter"
)
# The reference itself holds a digit or is a code in capitals: "order didn't" or "my order arrived" name none.
_ORDER = re.compile(
    rf"\b(?P<kind>(?i:{ID_KINDS}))\s*(?i:number|no\.?|#|id)?(?:\s+(?i:is|was))?\s*:?\s*#?"
    r"(?P<id>(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{4,}|[A-Z]{4,}\b)"
)
# A device's make or model as customers type it: "pixel 7", "iPhone 13", "Bosch WAW28750GB".
_MODEL = re.compile(r"\b[A-Za-z]{3,}[ -]?\d{1,5}[A-Za-z]{0,3}\b|\b[A-Z]{2,}\d{3,}[A-Z0-9]*\b")
# They said they sent a picture or a document: asking for it again is a repeat ask.
_SENT_ATTACHMENT = re.compile(
    r"\b(sent|send|emailed|attached|uploaded|shared)\b[^.?!]{0,40}\b(photos?|pictures?|pics?|screenshots?|images?|"
    r"videos?|documents?|receipts?|proof)\b|\b(photos?|pictures?|pics?|screenshots?|images?|videos?|documents?|"
    r"receipts?)\b[^.?!]{0,20}\b(sent|emailed|attached|uploaded)\b",
    re.I,
)
_HASH_NUMBER = re.compile(r"#\s?(\d{4,})")
_DATE = re.compile(
    r"\b((?:mon|tues|wednes|thurs|fri|satur|sun)day|yesterday|last (?:week|month|night)|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?|"
    r"\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|"
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?)\b",
    re.I,
)
_MONEY = re.compile(r"(?:[$€£]|R\$)\s?\d+(?:[.,]\d{2})?|\b\d+(?:[.,]\d{2})? ?(?:dollars|euros|pounds|reais)\b", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_PHONE = re.compile(r"(?<!\d)(?:\+?\d[\d ()-]{7,}\d)(?!\d)")
_PRODUCT = re.compile(
    r"\bmy (?:new |old )?([a-z][a-z0-9-]+) (?:is|was|has|won't|doesn't|isn't|keeps|stopped|never|still|arrived)", re.I
)
_PROBLEM = re.compile(
    r"\b(charged|double|twice|never|didn'?t|doesn'?t|don'?t|not|no longer|broken|broke|late|missing|lost|wrong|"
    r"cancel\w*|refund\w*|delay\w*|error|crash\w*|drop\w*|keeps|stuck|fail\w*|damaged|still|overcharged|can'?t|cannot|won'?t|"
    r"down|outage|supposed to|hasn'?t|haven'?t|isn'?t|wasn'?t|overdue|faulty|defective|declined|locked|"
    r"issue|problem|bug|unable|every time|logs? me out|kicked out)\b",
    re.I,
)
# Demands and threats are cues, not the problem itself.
_DEMAND = re.compile(
    r"\b(I want to (speak|talk|cancel)|manager|supervisor|or I will|I'?ll (cancel|leave|switch))\b", re.I
)


# What a message the agent sends first may report besides a delay: a hold, a refusal by someone else,
# a move ("Your payment is on hold for security checks", "Your claim was denied", "You have been relocated").
_NOTICE = re.compile(
    r"\b(on hold|held|denied|rejected|declined|relocat\w*|suspend\w*|unable to|could not|couldn'?t|"
    r"cancell?ed|postponed|rescheduled|returned to (the )?sender|interrupt\w*|disrupt\w*)\b",
    re.I,
)


def reports_problem(text: str) -> bool:
    """The text reports something gone wrong or held up (for a message nobody asked for)."""
    return bool(_PROBLEM.search(text) or _NOTICE.search(text))


# An instruction to the customer: a step to take, a place to go, someone else to contact.
INSTRUCTION = re.compile(
    r"\b(try|restart|reinstall|reboot|clear (your|the)|log (out|in)|sign (out|in)|go to|click|tap|make sure|"
    r"check (your|that|if|the)|have you tried|follow (these|the) steps|steps below|update (your|the) app|"
    r"unplug|plug (it|the)|turn (it|the \w+) (off|on)|power.?cycle|power (it |your \w+ )?(off|down)|settings\s*>|"
    # sending them elsewhere or giving them a task: "Please contact your GP surgery", "you'll need to"
    r"please (contact|call|ring|email|visit|fill|complete|submit|upload|reach out|see|log|refer to|read|follow|use)|"
    r"(contact|call|ring) (your|the)|"
    r"(you'?ll|you will|you'?d|you would) need to|you (need|have|must) to|you must|"
    # self-service: "You can track your order anytime under My Account"
    r"you can (track|check|find|view|download|request|manage|cancel|change|reset|raise|submit|apply|update|see))\b"
    r"|\w\s*>\s*\w",  # a menu path: "My Account > Orders"
    re.I,
)
# The agent's own doing, not a task for the customer: "so I can check the balance", "I will call the host",
# "this needs to go to our team".
_AGENT_DOES = re.compile(
    r"\b(I|I'?ll|I will|I can|I'?m going to|I am going to|let me|we'?ll|we will|we can|needs to|has to|will)\s+"
    r"(\w+\s+){0,2}$",
    re.I,
)


def instructs(text: str) -> bool:
    """`text` gives the customer a task (steps, a self-service path, someone to contact), not the agent's own."""
    return any(not _AGENT_DOES.search(text[: m.start()]) for m in INSTRUCTION.finditer(text))


# The agent speaking for themselves ("I've refunded", "let me", "we've moved"): a sentence that acts on
# this case, where "Refunds are reviewed within 3-5 business days" describes how things go for anyone.
FIRST_PERSON = re.compile(r"\b(i|i'?ve|i'?ll|i'?m|i'?d|me|my|let me|we'?ve)\b", re.I)
# "you", "your": a sentence addressed to this customer.
SECOND_PERSON = re.compile(r"\b(you|your|you'?(re|ll|ve|d)|u|ur)\b", re.I)


# A reference code however it is introduced ("this chat reference, KR-88214") and a time on the clock
# ("full at 21:52"): particulars of one case.
_CODE = re.compile(r"\b[A-Z]{1,4}-?\d{4,}[A-Z]?\b")
_CLOCK = re.compile(r"\b(?:[01]?\d|2[0-3]):[0-5]\d\b")


def names_specifics(sentence: str) -> bool:
    """The sentence names a case's particulars (an order or reference number, an amount, a date),
    whoever said them first: "I've refunded the £89.99 for PA-44120" is about this customer's case."""
    return any(pattern.search(sentence) for pattern in (_ORDER, _HASH_NUMBER, _MONEY, _DATE, _CODE, _CLOCK))


@dataclass
class CustomerDetails:
    """What the customer told us, for phrasing ideas and for catching repeat asks."""

    orders: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)  # clock times they gave ("at 18:09")
    money: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    ids_by_kind: dict[str, str] = field(default_factory=dict)  # the reference of each kind they gave ("account")
    addresses: list[str] = field(default_factory=list)  # street lines (app.pii.streets)
    models: list[str] = field(default_factory=list)  # a device's make or model
    attachments: bool = False  # they said they sent a photo, a receipt, a document
    issue: str | None = None  # what went wrong, in the agent's voice
    quote: str | None = None  # the customer's own words, short
    turn_words: list[set[str]] = field(default_factory=list)  # content words of each customer turn
    issue_words: set[str] = field(default_factory=set)  # content words of what went wrong
    explained: bool = False  # they have told us what went wrong

    def recent_words(self) -> set[str]:
        """Content words of the last two customer turns."""
        return set().union(*self.turn_words[-2:])

    def specifics(self) -> set[str]:
        """What is this customer's own: their order ids, dates, amounts, products, and the words
        of what went wrong (not the generic words every support chat shares)."""
        values = {v.lower() for v in self.orders + self.dates + self.money + self.products}
        return values | (self.issue_words - GENERIC_SUPPORT_WORDS)

    def personal(self, sentence: str) -> bool:
        """The sentence uses this customer's specifics."""
        low = sentence.lower()
        return bool(content_words(sentence) & self.specifics()) or any(
            v.lower() in low for v in self.orders + self.dates + self.money
        )

    def update(self, text: str) -> bool:
        """Read a customer turn; True when it says something went wrong."""
        self.turn_words.append(content_words(text))
        if len(words(text)) >= STORY_WORDS:
            self.explained = True  # they told their story, whatever words it used

        def add(target: list[str], values: list[str]) -> None:
            for v in values:
                if v not in target:
                    target.append(v)

        references = list(_ORDER.finditer(text))
        add(self.orders, [m.group("id") for m in references] + _HASH_NUMBER.findall(text))
        self.ids_by_kind |= {m.group("kind").lower(): m.group("id") for m in references}
        add(self.addresses, [m.group(0) for pattern in STREET_PATTERNS for m in pattern.finditer(text)])
        add(self.models, [m for m in _MODEL.findall(text) if m not in self.orders])
        self.attachments = self.attachments or bool(_SENT_ATTACHMENT.search(text))
        add(self.dates, [m.group(0) for m in _DATE.finditer(text)])
        add(self.times, [m.group(0) for m in _CLOCK.finditer(text)])
        add(self.money, _MONEY.findall(text))
        add(self.products, [p.lower() for p in _PRODUCT.findall(text) if p.lower() not in STOPWORDS])
        add(self.emails, _EMAIL.findall(text))
        add(self.phones, [p for p in _PHONE.findall(text) if sum(c.isdigit() for c in p) >= 8])
        # Ideas quote the customer: placeholders ("#NAME# A wrong charge...") are not their words.
        text = re.sub(r"[ \t]{2,}", " ", _PLACEHOLDER.sub(" ", text)).strip()
        problem = [
            s.text
            for s in split_sentences(text)
            if _PROBLEM.search(s.text) and len(words(s.text)) >= 3 and not _DEMAND.search(s.text)
        ]
        if problem:
            ranked = sorted(problem, key=lambda sentence: -len(_PROBLEM.findall(sentence)))
            if self.issue is None:  # the first complaint is the issue; later turns add detail
                # Only a grammatical clause in the agent's voice: a question or a demand is never quoted
                # as a statement, and with none the card goes without the idea (a principle beats a broken line).
                self.issue = next((c for s in ranked if (c := issue_clause(s))), None)
            self.quote = quote(ranked[0]) or self.quote
            self.issue_words |= content_words(ranked[0])
            self.explained = True
            return True
        if self.quote is None and len(words(text)) >= 4:
            self.quote = quote(split_sentences(text)[0].text)
        return False

    def slots(self) -> dict[str, str]:
        values = {
            "order": f"order {self.orders[-1]}" if self.orders else None,
            "date": self.dates[-1] if self.dates else None,
            "product": self.products[-1] if self.products else None,
            "issue": self.issue,
            "quote": self.quote,
        }
        return {k: v for k, v in values.items() if v}


# They say they were in touch about this before: "third time I'm contacting you", "I called on day 1",
# "your colleague promised". Not "as I said" within this chat (a retelling, not a repeat contact).
_CONTACTED_BEFORE = re.compile(
    r"\b((second|third|fourth|fifth|\d+(st|nd|rd|th)|another|every) (time|call|chat|email)|"
    r"(called|contacted|emailed|messaged|chatted|written|wrote|spoke|spoken|rang|phoned|been in touch)"
    r"( to| with)?( you| your \w+| someone| an agent| support| customer service| the \w+)?"
    r" (before|already|yesterday|every (day|week|morning)|last (week|month|time|night)|twice|three times|"
    r"\d+ times|on (day|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the))|"
    r"already (called|contacted|emailed|messaged|chatted|been in touch|reported|raised|complained)|"
    r"(told|promised|said) (me )?(last time|before|on the phone|yesterday|last week)|"
    r"last time I (called|contacted|chatted|spoke|wrote)|(I|we) (called|rang|phoned|wrote|emailed) on|"
    r"(your|the other|another) (colleague|agent|rep)\w* (said|told|promised))\b",
    re.I,
)


def says_contacted_before(text: str) -> bool:
    return bool(_CONTACTED_BEFORE.search(text))
