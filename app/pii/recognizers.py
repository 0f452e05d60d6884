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
    r"(?:(?:[A-Za-zÀ-ÿ'’.-]+|\d{1,3}(?:st|nd|rd|th))\s+){0,3}?"  # Baker / Old Kent / Pennsylvania / W 57th
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
# In a turn about a password, a word shaped like one ("I tried P@ssw0rd123", "changed it to Summer2024!"):
# letters and digits with both cases or a symbol. An order reference (ZK4P9T: one case, no symbol) is not.
PASSWORD_TOPIC = re.compile(r"\b(?:password|passwort|passcode|pass\s?word|pwd|pw|contraseña|mot de passe)\b", re.I)
PASSWORD_SHAPED = re.compile(
    r"(?<![\w@.])(?P<secret>(?=[^\s,;]*[A-Za-z])(?=[^\s,;]*\d)"
    r"(?:(?=[^\s,;]*[a-z])(?=[^\s,;]*[A-Z])|(?=[^\s,;]*[!#$%^&*_@?+=~]))[^\s,;'\"]{6,64})(?![\w@])"
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
    "going",
    "getting",
    "coming",
    "stuck",
    "broken",
    "failing",
    "down",
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


class _CredentialRecognizer(_Regex):
    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        found = super().analyze(text, entities, nlp_artifacts)
        if PASSWORD_TOPIC.search(text):
            for match in PASSWORD_SHAPED.finditer(text):
                value = match.group("secret").rstrip(".")
                if "@" in value and "." in value.split("@")[-1]:
                    continue  # an email address (the email recogniser's)
                found.append(
                    RecognizerResult(
                        "CREDENTIAL", match.start("secret"), match.start("secret") + len(value), self.score
                    )
                )
        return found


def credential_recognizer() -> EntityRecognizer:
    return _CredentialRecognizer("CREDENTIAL", CREDENTIALS, "secret", 0.7)


# People's names where the chat itself says a name follows: an introduction ("my name is", "this is",
# "X here"), an address ("thanks, Priya"), a relation or a role ("my husband Tomas", "an agent called
# Jonno"), a title ("Mrs Abernethy"). Cheap enough for every live turn, unlike NER, and it catches the
# lowercase and non-English names a small NER model misses; NER (COACHLINE_PII_NER) adds the rest.
_RELATIONS = (
    r"wife|husband|partner|fianc[ée]e?|son|daughter|mum|mom|mother|dad|father|brother|sister|colleague|manager|"
    r"boss|friend|neighbou?r|landlord|landlady|tenant|flatmate|roommate|housemate|assistant|carer|caregiver|"
    r"grandson|granddaughter|grandma|grandmother|grandad|grandfather|uncle|aunt|auntie|cousin|nephew|niece|child|kid"
)
_ROLES = (
    r"agent|rep|representative|advisor|adviser|engineer|technician|tech|driver|courier|guy|lady|woman|man|person|"
    r"someone|girl|boy|chap|bloke|colleague|supervisor|manager|consultant|specialist|operator"
)
# (cue, strong): after a strong cue the name may be lowercase ("my name is dave"); after a weak one it
# must be capitalised ("this is Dave", not "this is ridiculous").
NAME_CUES: tuple[tuple[re.Pattern[str], bool], ...] = (
    (
        re.compile(
            r"\b(?:(?:my|his|her|their|the|first|last|sur|full|account holder'?s?|cardholder'?s?)\s*)?name"
            r"(?:'s|\s+is|\s+was|\s*[:=]|\s+on\s+(?:the\s+)?(?:account|card|booking|policy|order)\s*(?:is|was|says|reads|:))\s*",
            re.I,
        ),
        True,
    ),
    (re.compile(rf"\b(?:{_ROLES})\s+(?:called|named)\s+", re.I), True),
    (
        re.compile(r"\b(?:name (?:to|as|from)|(?:is )?called|named|account holder is|under the name(?: of)?)\s+", re.I),
        True,
    ),
    (
        re.compile(
            r"(?:^|[.!?,;]\s*)(?:(?:hi|hello|hey|hiya|morning|evening)(?: there)?[,!]?\s+)?"
            r"(?:this is|it'?s|it is|i am|i'?m|you'?re (?:chatting|speaking|talking) (?:with|to))\s+",
            re.I,
        ),
        False,
    ),
    (
        re.compile(
            r"(?:^|[.!?,;]\s*)(?:hi|hello|hey|hiya|dear|thanks|thank you|thankyou|thx|thnx|ty|cheers|ta|bye|goodbye)"
            r"[,!]?\s+",
            re.I,
        ),
        False,
    ),
    (re.compile(rf"\b(?:my|our|his|her|their)\s+(?:{_RELATIONS})(?:'?s)?(?:\s+name)?(?:\s+is|,|:)?\s+", re.I), False),
    (re.compile(r"\b(?:spoke|speaking|talked|talking|chatted|chatting|dealt)\s+(?:to|with)\s+", re.I), False),
    (re.compile(r"\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam|señora?|herr|frau)\.?\s+", re.I), False),
    (re.compile(r"(?:^|\n)\s*(?:[-—–~]+|regards,?|best,?|kind regards,?|sincerely,?)\s*", re.I), False),
)
# A caller introducing themselves in lowercase at the start of a turn ("this is dave, ...", "its ahmed
# again"): the word must be followed by what follows a name there, and not read as a word ("it's
# happening again", "it's broken again").
LOWERCASE_INTRODUCTION = re.compile(
    r"^\W*(?:(?:hi|hello|hey+|ya|yo)\W+)?(?:this is|it'?s|its|i'?m|im)\s+(?P<name>[^\W\d_]{2,}(?:\s+[^\W\d_]{2,})??)"
    r"(?=\s*,|\s+(?:from\b|here\b|again\b|w/|with the\b|speaking\b))",
    re.I,
)
NAME_HERE = re.compile(
    r"^(?:(?:hi|hello|hey)(?: there)?[,!]?\s+)?(?P<name>(?:[^\W\d_][\w'’-]*\s+){0,3}[^\W\d_][\w'’-]*)\s+here\b", re.I
)


def _words(text: str) -> list[str]:
    return text.split()


_TOKEN = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?\.?")
_PARTICLES = frozenset(
    _words("de del della dei da di la le van von der den ter bin binti bint al el ní ni nic mac mc dos das du ibn ben")
)
# Capitalised words that follow the cues but name no one.
NOT_A_NAME = frozenset(
    _words(
        """
        i i'm im a an the this that it its it's there here again all everyone everybody team support guys folks you
        your so very really for from to and but or if please thanks thank sorry yes no ok okay hi hello hey sir madam
        still just now today tomorrow yesterday ridiculous unacceptable urgent annoying frustrating crazy broken fine
        good great wrong late awful terrible amazing perfect lovely brilliant helpful about regarding re calling
        writing contacting messaging following trying having getting going waiting not never also already customer
        account order my our their his her me him us them fixed sorted done gone back over down up off on weird odd bad
        worse really literally finally actually totally completely probably definitely honestly basically seriously
        absolutely clearly usually only nearly likely early exactly monday tuesday wednesday thursday friday saturday
        sunday january february march april june july august september october november december
        """
    )
)


def _name_after(text: str, start: int, strong: bool) -> tuple[int, int] | None:
    """The name that starts at `start` (up to five words, particles inside it allowed), if any."""
    words: list[tuple[int, int]] = []
    position = start
    while len(words) < 5:
        match = _TOKEN.match(text, position)
        if match is None:
            break
        word = match.group().rstrip(".")
        lower = word.lower()
        capital = word[:1].isupper()
        if lower in NOT_A_NAME or (words == [] and lower in _PARTICLES):
            break
        if not capital and lower not in _PARTICLES and not (strong and not words):
            break
        words.append((match.start(), match.start() + len(word)))
        gap = re.match(r"[ \t]+", text[match.end() :])
        if gap is None or match.group().endswith("."):
            break
        position = match.end() + gap.end()
    while words and text[words[-1][0] : words[-1][1]].lower() in _PARTICLES:
        words.pop()  # "Francisco de" without what follows is not a name
    return (words[0][0], words[-1][1]) if words else None


class NameByContextRecognizer(EntityRecognizer):
    def __init__(self, score: float = 0.6) -> None:
        self.score = score
        super().__init__(supported_entities=["PERSON"], name="NameByContextRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        spans: set[tuple[int, int]] = set()
        for cue, strong in NAME_CUES:
            for match in cue.finditer(text):
                found = _name_after(text, match.end(), strong)
                if found is not None:
                    spans.add(found)
        lowercase = LOWERCASE_INTRODUCTION.match(text)
        if lowercase is not None:
            words = lowercase.group("name").split()
            if not any(w.lower() in NOT_A_NAME or (len(w) > 5 and w.lower().endswith(("ing", "ed"))) for w in words):
                spans.add(lowercase.span("name"))
        here = NAME_HERE.match(text)
        if here is not None:
            words = here.group("name").split()
            if all(w[:1].isupper() or w.lower() in _PARTICLES for w in words) and words[-1].lower() not in NOT_A_NAME:
                spans.add(here.span("name"))
        return [RecognizerResult("PERSON", start, end, self.score) for start, end in sorted(spans)]


def name_recognizer() -> EntityRecognizer:
    return NameByContextRecognizer()
