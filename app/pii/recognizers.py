"""Pattern recognisers for what Presidio's predefined ones miss in chat text: street lines and
credentials. Each finds the value alone (the secret after "my password is", the street line of an
address), so the words around it stay readable."""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult

STREET_TYPES = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|close|crescent|cres|place|pl|"
    "terrace|tce|parade|pde|square|sq|gardens|grove|hill|row|walk|highway|hwy|parkway|pkwy|circle|cir|trail|mews|"
    "quay|wharf|rise|view|green|park"
)
STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?(?:\s*[-/]\s*\d{1,5}[A-Za-z]?)?,?\s+"  # 221B, 5/18, 12-14
    r"(?:[A-Za-zÀ-ÿ'’.-]+\s+){0,3}?"  # Baker / Old Kent / Pennsylvania
    rf"(?:{STREET_TYPES})\b\.?"
    r"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?",
    re.IGNORECASE,
)
# German-style names with the number after them: Hauptstraße 12, Lindenweg 3a.
STREET_NUMBER_AFTER = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d{1,4}[a-z]?\b"
)
_KEYWORD = (
    r"\b(?:password|passwort|passcode|pass\s?word|pwd|pw|pass|pin(?:\s?code)?|security\s+(?:answer|question)|"
    r"memorable\s+word|maiden\s+name|pet(?:'s)?\s+name|contraseña|mot\s+de\s+passe|kennwort|"
    r"(?:one[- ]time|otp|verification|login|2fa|sms|texted|door|backup|access)\s+codes?|otp|"
    r"code\s+(?:they|you)\s+(?:texted|sent)|api[\s_-]?key|token|secret)\b"
)
_SECRET = r"(?P<secret>\d(?:[ -]?\d){3,11}|[^\s,;]{3,64})"
CREDENTIALS = (
    # "password for the portal is X", "pin: X", "reset my pw to X", "memorable word is X"
    re.compile(
        _KEYWORD + r"(?:\s+[\w'’-]+){0,6}?(?:'s|\s+is|\s+was|\s+are|\s+to|\s*[:=]|\s+it's)\s*[:=]?\s*" + _SECRET,
        re.IGNORECASE,
    ),
    # "OTP 240613": no connector, but the value holds a digit
    re.compile(_KEYWORD + r"\s+(?P<secret>\d(?:[ -]?\d){3,11}|[^\s,;]*\d[^\s,;]*)", re.IGNORECASE),
)
NOT_A_SECRET = {
    "is",
    "was",
    "the",
    "a",
    "my",
    "your",
    "reset",
    "please",
    "not",
    "and",
    "for",
    "to",
    "again",
    "it",
    "wrong",
    "correct",
    "right",
    "incorrect",
    "expired",
    "invalid",
    "working",
    "locked",
    "blocked",
    "fine",
    "ok",
    "same",
    "different",
    "new",
    "old",
    "changed",
    "missing",
    "there",
    "here",
    "still",
    "just",
    "now",
    "also",
    "never",
    "being",
    "been",
    "required",
    "needed",
    "set",
    "sent",
    "gone",
    "too",
    "what",
    "that",
    "this",
}


class _Regex(EntityRecognizer):
    def __init__(self, entity: str, patterns: tuple[re.Pattern[str], ...], group: str | None, score: float) -> None:
        self.patterns, self.group, self.score = patterns, group, score
        super().__init__(supported_entities=[entity], name=f"{entity.title()}Recognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        found = []
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                start, end = match.span(self.group) if self.group else match.span()
                value = text[start:end].strip(".!?")
                if self.group and value.lower() in NOT_A_SECRET:
                    continue
                found.append(RecognizerResult(self.supported_entities[0], start, start + len(value), self.score))
        return found


def street_recognizer() -> EntityRecognizer:
    return _Regex("STREET_ADDRESS", (STREET, STREET_NUMBER_AFTER), None, 0.6)


def credential_recognizer() -> EntityRecognizer:
    return _Regex("CREDENTIAL", CREDENTIALS, "secret", 0.7)
