"""Pattern recognisers for what Presidio's predefined ones miss in chat text: street lines and
credentials. Each finds the value alone (the secret after "my password is", the street line of an
address), so the words around it stay readable."""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult

from app.pii.lexicon import FAMILY, PASSWORD_WORDS, UNSPACED_PASSWORD_WORDS
from app.pii.streets import STREET_PATTERNS


def _words(text: str) -> list[str]:
    return text.split()


_KEYWORD = (
    r"(?:\b(?:password|passwort|passcode|pass\s?word|pas+wo?r?d|passwrd|pword|passphrase|pwd|pw|p/w|puk|"
    + PASSWORD_WORDS
    + r"|"
    r"pass(?=\s*[:=]|\s+(?:is|was)\b|\s+[^\s,;]*\d)|"
    r"pin(?:\s?code)?|security\s+(?:answer|question|q)|answer\s+to\s+the\s+security\s+(?:question|q)|"
    r"memorable\s+(?:word|date|place|name)|maiden\s+name|pet(?:'s)?\s+name|"
    r"(?:one[- ]time|otp|verification|login|2fa|sms|texted|door|backup|access|e-?mail|app|gate|alarm)\s+codes?|otp|"
    r"code\s+(?:they|you)\s+(?:texted|sent)|(?:\d|four|five|six|eight)[- ]digit(?:\s+(?:one|code|number|pin))?|"
    r"(?<!error )(?<!discount )(?<!promo )(?<!voucher )(?<!tracking )(?<!post )(?<!zip )(?<!area )(?<!reference )"
    r"(?<!product )(?<!order )(?<!gift )(?<!coupon )(?<!qr )(?<!bar)(?<!country )(?<!sort )your\s+code|"
    r"api[\s_-]?key|token|secret)\b|(?:" + UNSPACED_PASSWORD_WORDS + r"))"
)
_SECRET = r"(?P<secret>\d(?:[ -]?\d){3,11}|[^\s,;]{3,64})"
CREDENTIALS = (
    # "password for the portal is X", "pin: X", "reset my pw to X", "memorable word is X"
    re.compile(
        _KEYWORD
        + r"(?:\s+[\w'’-]+){0,6}?(?:'s|\s+is|\s+was|\s+are|\s+to|\s*[:=]|\s+it's|\s*は|"
        # the copula in the customer's language: "minha senha é", "c'est", "ist", "jest", "είναι"
        + r"\s+(?:é|è|es|est|c'est|ist|är|jest|είναι|là|adalah|era|était))\s*[:=]?\s*"
        + _SECRET,
        re.IGNORECASE,
    ),
    # "OTP 240613": no connector, but the value holds a digit
    re.compile(_KEYWORD + r"\s+(?P<secret>\d(?:[ -]?\d){3,11}|[^\s,;]*\d[^\s,;]*)", re.IGNORECASE),
    # "the pin is my birthday, 0405": digits later in the same clause
    re.compile(
        _KEYWORD + r"\s+(?:is|was|'s)\b[^.!?\d\n]{1,40}?(?:,|:|\bis)\s*(?P<secret>\d(?:[ -]?\d){3,11})(?![\w-])",
        re.IGNORECASE,
    ),
    # "I used ilovemycat as the password", "login is admin / Hx7!pq2Lz"
    re.compile(
        r"(?P<secret>[^\s,;]{4,64})\s+as\s+(?:the|my)\s+(?:new\s+)?(?:password|passcode|pin|passphrase)\b", re.I
    ),
    re.compile(r"\blog(?:-?in|on)\b[^.\n]{0,30}?\S\s*/\s*(?P<secret>[^\s,;:]{3,64})(?![^\s,;])", re.IGNORECASE),
)
# In a turn about a password, a word shaped like one ("I tried P@ssw0rd123", "changed it to Summer2024!"):
# letters and digits with both cases or a symbol. An order reference (ZK4P9T: one case, no symbol) is not.
PASSWORD_TOPIC = re.compile(
    r"\b(?:password|passwort|passcode|pass\s?word|pwd|pw|" + PASSWORD_WORDS + r")\b|" + UNSPACED_PASSWORD_WORDS, re.I
)
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
    "literally",
    "probably",
    "actually",
    "definitely",
    "maybe",
    "like",
    "basically",
    "always",
    "usually",
    "simply",
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
                if not value or (self.group and value.lower() in NOT_A_SECRET):
                    continue
                found.append(RecognizerResult(self.supported_entities[0], start, start + len(value), self.score))
        return found


def street_recognizer() -> EntityRecognizer:
    return _Regex("STREET_ADDRESS", STREET_PATTERNS, None, 0.6)


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
    r"someone|girl|boy|chap|bloke|colleague|supervisor|manager|consultant|specialist|operator|accountant|lawyer|"
    r"solicitor|attorney|doctor|nurse|teacher|tutor|dentist|therapist|broker|caseworker|social worker"
)
# (cue, strong): after a strong cue the name may be lowercase ("my name is dave"); after a weak one it
# must be capitalised ("this is Dave", not "this is ridiculous").
NAME_CUES: tuple[tuple[re.Pattern[str], bool], ...] = (
    (
        re.compile(
            r"\b(?:(?:my|his|her|their|the|first|last|sur|full|account holder'?s?|cardholder'?s?)\s*)?name"
            r"(?:'s|\s+is|\s+was|\s*[:=]|\s+on\s+(?:the\s+)?(?:account|card|booking|policy|order)\s*(?:is|was|says|reads|:))"
            r"[ \t]*",
            re.I,
        ),
        True,
    ),
    (re.compile(rf"\b(?:{_ROLES})\s+(?:called|named)\s+", re.I), True),
    # "acc holder: Björn Lindqvist", "account holder - marta"
    (re.compile(r"\b(?:acc|acct|account|card|policy)[\s-]?holder'?s?(?:\s+name)?\s*(?:is|[:=-])\s*", re.I), True),
    # "my name Hiroshi Tanaka": the verb left out (capitalised, so "my name wrong" is not one)
    (re.compile(r"\bmy name\s+(?!is\b|was\b|'s\b|on\b|as\b|to\b|from\b|and\b)", re.I), False),
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
            r"(?:^|[.!?,;]\s*)(?:(?:ok|okay|cool|great|perfect|brilliant|awesome|alright|right|oh)[,!]?\s+)?"
            r"(?:(?:thanks|thank you|ta) (?:so|very) much|thanks a (?:lot|million|bunch)|many thanks|hi|hello|hey|hiya|"
            r"dear|thanks|thank you|thankyou|thx|thnx|thnks|thanx|tks|ty|cheers|ta|bye|goodbye)"
            r",?[ \t]+",
            re.I,
        ),
        False,
    ),
    (
        re.compile(
            rf"\b(?:my|our|his|her|their|your|the)\s+(?:late\s+|new\s+|old\s+|ex-?|step-?|[a-z]+\s+)?"
            rf"(?:{_RELATIONS}|{_ROLES})"
            r"(?:'?s)?(?:\s+name)?(?:\s+is|,|:)?\s+",
            re.I,
        ),
        False,
    ),
    (re.compile(rf"(?:^|[.!?]\s*)(?:step-?)?(?:{_RELATIONS})\s+", re.I), False),
    # introductions in the customer's own language: "soy María José", "ich bin Jürgen"
    (
        re.compile(
            r"\b(?:soy|me llamo|mi nombre es|je suis|je m'appelle|mon nom est|ich bin|ich heiße|ich heisse|"
            r"mein name ist|mi chiamo|il mio nome è|meu nome é|o meu nome é|me chamo|mijn naam is|ik ben|"
            r"nazywam się|jestem|benim adım|adım)\s+",
            re.I,
        ),
        False,
    ),
    (re.compile(r"\b(?:call me|goes by|go by|known as)\s+", re.I), False),
    # a name as it is written somewhere: "you have me as Mei Ling Chen", "keep spelling it Siobhan"
    (
        re.compile(
            r"\b(?:me|it|name|account|booking)\s+(?:down\s+)?as\s+|\bspell(?:s|ed|t|ing)?\s+(?:it|me|my name)\s+"
        ),
        False,
    ),
    (re.compile(r"\b(?:a nombre de|au nom de|em nome de|in nome di|im namen von)\s+", re.I), False),
    (
        re.compile(
            r"\b(?i:ask(?:ed)? for|speak (?:to|with)|talk (?:to|with)|transfer me to|put me through to|"
            r"forward (?:this|it) to|pass (?:this|it) (?:on )?to|shout-?out to|escalate (?:this|it) to|tell)"
            r"\s+(?=[A-Z])"
            r"|(?:^|[.!?]\s+)(?i:could|can|would|will)\s+(?=[A-Z][a-z]+\s+(?i:call|ring|phone|email|text|check|look|get|"
            r"sort|confirm|send|contact)\b)",
        ),
        False,
    ),
    (re.compile(r"\b(?:spoke|speaking|talked|talking|chatted|chatting|dealt)\s+(?:to|with)\s+", re.I), False),
    (re.compile(r"\b(?:mr|mrs|ms|mx|dr|señora?|herr|frau)\.?\s+", re.I), True),
    (re.compile(r"\b(?:miss|prof|sir|madam)\.?\s+", re.I), False),
    (
        re.compile(
            r"(?:^|\n|[.!?]\s+)\s*(?:[-—–~]+|regards,?|best,?|kind regards,?|best regards,?|sincerely,?|cheers,)"
            r"\s*(?:[-—–~]+\s*)?",
            re.I,
        ),
        False,
    ),
)
# A caller introducing themselves in lowercase at the start of a turn ("this is dave, ...", "its ahmed
# again"): the word must be followed by what follows a name there, and not read as a word ("it's
# happening again", "it's broken again").
LOWERCASE_INTRODUCTION = re.compile(
    r"^\W*(?:(?:hi|hello|hey+|ya|yo)\W+)?(?:this is|it'?s|its|i'?m|im)\s+"
    r"(?P<name>[^\W\d_]{2,}(?:[-'’][^\W\d_]+)*(?:\s+[^\W\d_]{2,}(?:[-'’][^\W\d_]+)*)??)"
    r"(?=\s*,|\s+(?:from\b|here\b|again\b|w/|with the\b|speaking\b))",
    re.I,
)
NAME_HERE = re.compile(
    r"^(?:(?:hi|hello|hey|hei|hej|hola|hallo|bonjour|salut|ciao|olá|ola|merhaba)(?: there)?[,!]?\s+)?"
    r"(?P<name>(?:[^\W\d_][\w'’-]*\s+){0,3}[^\W\d_][\w'’-]*)\s+(?:here|speaking|hier|aqui|aquí|ici)\b",
    re.I,
)
# A colleague named beside their team ("Grace in accounts", "Bill from your billing team"): capitalised.
NAME_AND_TEAM = re.compile(
    r"(?<![\w'’])(?P<name>[A-Z][^\W\d_]+(?:[-'’][A-Z]?[^\W\d_]+)?(?:\s+[A-Z][^\W\d_]+)?)\s+(?:from|in|at|on)\s+"
    r"(?:the\s+|your\s+)?(?:accounts?|billing|complaints|support|sales|tech(?:nical)?|customer|business|returns|"
    r"retention|collections|claims|fraud|escalations?|the\s+phone|phone|chat|live\s+chat)\b"
)
# A turn that opens with a full name and a pause ("Ayşe Yılmaz, account holder.", "Li Xiaoming — ..."),
# or with a name and a Japanese "desu"; and a name called out at the end of a clause ("Sure thing, Deepika!").
OPENING_NAME = re.compile(
    r"^\W*(?P<name>[A-ZÀ-Þ][^\W\d_]+(?:[-'’][A-Za-zÀ-ÿ][^\W\d_]*)?"
    r"(?:\s+(?:(?:de|da|do|dos|del|la|van|von|der|den|bin|binti|al|el|ibn|ben)\s+)*(?:(?:al|el|ad|ibn)-)?[A-ZÀ-Þ][^\W\d_]*"
    r"(?:[-'’][A-Za-zÀ-ÿ][^\W\d_]*)?){1,4})"
    r"(?=\s*(?:,|—|–|\s-\s|\.\s|\s+desu\b))"
)
# Someone named as the one who said or promised something ("Sunny said she would call me back", "Rose at
# the front desk told me ..."): a capitalised name opening the turn or a sentence.
NAME_SAID = re.compile(
    r"(?:^|[.!?]\s+)(?P<name>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+"
    r"(?:(?:at|from|in|on)\s+(?:the\s+)?[a-z][a-z ]{1,25}?\s+)?"
    r"(?:said|told|promised|assured (?:me|us)|mentioned|confirmed)\b"
)
NOT_A_SPEAKER = frozenset(_words("she he they we someone somebody nobody everyone everybody one another who"))
VOCATIVE = re.compile(r",\s+(?P<name>[A-ZÀ-Þ][^\W\d_]{2,})\s*!")
# A lowercase name where a sign-off or a thanks puts one, ending the turn or its clause ("-- rhys",
# "ok thanks marcus, appreciate it"), unless it is one of the words that follow a thanks.
LOWERCASE_AFTER_THANKS = re.compile(
    r"(?:^|[.!?,;]\s*)(?:(?:ok|okay|cool|great|perfect|brilliant|awesome|alright|right|oh)[,!]?\s+)?"
    r"(?:thanks|thank you|thx|thnx|thnks|thanx|ty|cheers|ta)[,!]?\s+(?P<name>[a-z][a-z'’-]{2,})\s*(?=[,.!]|$)"
    r"|(?:^|\s)(?:--|—|–|-)\s*(?P<signed>[a-z][a-z'’-]{2,})\s*$",
)
# A lowercase name right after a family relation, when what follows reads as the rest of a sentence about
# them ("my daughter joy uses the tablet", "add my son tomasz as a user"): "my son uses" has no name.
LOWERCASE_AFTER_RELATION = re.compile(
    rf"\b(?:my|our)\s+(?:{FAMILY})\s+(?P<name>[a-z][a-z'’-]{{2,}})"
    r"(?=\s*,|\s+(?:as|uses|used|is|was|has|had|who|will|would|can|could|needs|wants|and|set|opened|made|paid|"
    r"booked|ordered|lives|called|does|did|doesn't|didn't|can't|cannot|won't)\b)"
)
AFTER_THANKS = frozenset(
    _words(
        """
        anyway anyways again mate mates guys everyone everybody all team lot lots heaps loads tons buddy pal bro man
        dude love hun though btw lol lmao much bunch million very so for you yall again sir madam sis fam folks
        mister miss bye anyhow regardless nonetheless still tho though tho' okay ok though indeed kindly brother
        sister friend boss chief maam ma'am dear sweetie darling champ legend
        """
    )
)


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
        sunday january february march april june july august september october november december how what when where
        why who which whose have has had do does did can could would shall should might must let
        apologies apology welcome most one two plans plan card portal last first full i'll i've i'd you're we're
        they're that's there's what's have a an good nice great best happy kind warm
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
        if gap is None or (match.group().endswith(".") and len(word) > 1):  # an initial ("R. Castellanos") goes on
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
        for match in (OPENING_NAME.match(text), *VOCATIVE.finditer(text)):
            if match is not None and not any(w.lower() in NOT_A_NAME for w in match.group("name").split()):
                spans.add(match.span("name"))
        for match in LOWERCASE_AFTER_RELATION.finditer(text):
            if match.group("name") not in NOT_A_NAME and not match.group("name").endswith(("ly", "ing")):
                spans.add(match.span("name"))
        for match in NAME_SAID.finditer(text):
            if not any(w.lower() in NOT_A_NAME | NOT_A_SPEAKER for w in match.group("name").split()):
                spans.add(match.span("name"))
        for match in NAME_AND_TEAM.finditer(text):
            if not any(w.lower() in NOT_A_NAME for w in match.group("name").split()):
                spans.add(match.span("name"))
        for match in LOWERCASE_AFTER_THANKS.finditer(text):
            group = "name" if match.group("name") else "signed"
            if match.group(group).lower() not in AFTER_THANKS | NOT_A_NAME:
                spans.add(match.span(group))
        here = NAME_HERE.match(text)
        if here is not None:
            words = here.group("name").split()
            if all(w[:1].isupper() or w.lower() in _PARTICLES for w in words) and words[-1].lower() not in NOT_A_NAME:
                spans.add(here.span("name"))
        # One word in capitals is an acronym, a code or a shout ("it's RD 4418", "EVERYTHING!!!"), not a name.
        spans = {(a, b) for a, b in spans if not (text[a:b].isupper() and len(text[a:b].split()) == 1)}
        return [RecognizerResult("PERSON", start, end, self.score) for start, end in sorted(spans)]


def name_recognizer() -> EntityRecognizer:
    return NameByContextRecognizer()


# An answer to the agent's question: what a customer types after "What's your security answer?" or
# "Could I take your full name?" carries no keyword of its own ("its biscuit", "marta kowalczyk").
# The agent's turn says what the reply holds; the reply's filler ("sure, it's") is not part of it.
_ASKING = re.compile(
    r"\?|\b(?:please|could you|can you|would you|may i|can i|could i|confirm|provide|give me|tell me|type|enter|"
    r"send me|share|what'?s|what is|let me know)\b",
    re.I,
)
ASKS_FOR = {
    "CREDENTIAL": re.compile(
        r"\b(?:password|passcode|pass\s?word|pin|security (?:question|answer|word)|memorable (?:word|information|"
        r"info|answer|date)|(?:verification|one[- ]time|otp|sms|security|confirmation|\d-digit|"
        r"(?:four|five|six|eight)-digit) code|code (?:we|i|that we|that i) (?:just )?(?:sent|texted|emailed)|"
        r"maiden name|first (?:pet|car|school|job|teacher|employer|concert)|favou?rite (?:teacher|food|film|movie|book|"
        r"band|place)|(?:answer|reply) to)\b",
        re.I,
    ),
    "PERSON": re.compile(
        r"\b(?:(?:your|the|their|his|her) (?:full |first |last |sur)?name|name (?:on|of) the (?:account|card|booking|"
        r"order|policy|reservation|bill)|who (?:am i|i am|i'?m) (?:speaking|chatting|talking) (?:to|with)|"
        r"who is the account holder|(?:account|card) ?holder'?s? name)\b",
        re.I,
    ),
    "STREET_ADDRESS": re.compile(
        r"\b(?:(?:your|the|delivery|billing|shipping|home|postal|new|full|correct|service|installation) address|"
        r"where (?:should|shall|do|can|would) (?:we|i|you) (?:send|deliver|ship|post)|where do you live|"
        r"house number)\b",
        re.I,
    ),
}
_FILLER = re.compile(
    r"^\W*(?:(?:sure|yes|yeah|yep|yup|ok|okay|of course|no problem|certainly|right|hi|hello|hey|uh+|um+|hm+|erm|"
    r"hang on|one sec|wait)\b[\W]*)*"
    r"(?:(?:it'?s|its|it is|it was|it should be|that'?s|that is|that would be|should be|i think(?: it'?s)?|"
    r"(?:the |my )?(?:answer|code|pin|password|passcode|word|name|full name|address|reply)(?:'s| is| was|:)|"
    r"(?:my )?name'?s|this is|i'?m|i am|im)\s*)*",
    re.I,
)
_NOT_AN_ANSWER = re.compile(
    r"^(?:no|nope|nah|not)\b|\b(?:don'?t|dont|do not|can'?t|cant|cannot|forgot|forget|no idea|not sure|remember|"
    r"reset|why|what|how|which)\b|\?",
    re.I,
)
_CLAUSE_END = re.compile(
    r"[,.;!?()]|\s(?:and|but|because|as|if|so|or|though|i think|thanks|thank|cheers|pls|please)\b", re.I
)


_NAME_SHAPED = re.compile(r"[^\W\d_][^\W\d_'’.-]*(?:[-'’.][^\W\d_]*)*")


def asked_for(agent_turn: str | None) -> tuple[str, ...]:
    """What the agent's turn asks the customer to type: CREDENTIAL, PERSON, STREET_ADDRESS (or none)."""
    if not agent_turn or not _ASKING.search(agent_turn):
        return ()
    return tuple(entity for entity, pattern in ASKS_FOR.items() if pattern.search(agent_turn))


def answer_spans(agent_turn: str | None, text: str) -> list[tuple[str, int, int]]:
    """(entity, start, end) of what `text` gives in answer to `agent_turn`, when it asked for a
    secret, a name or an address and the reply gives one rather than saying it can't."""
    wanted = asked_for(agent_turn)
    if not wanted:
        return []
    start = _FILLER.match(text).end()  # type: ignore[union-attr]
    rest = text[start:]
    found: list[tuple[str, int, int]] = []
    if "STREET_ADDRESS" in wanted and re.search(r"\d", rest[:80]) and not _NOT_AN_ANSWER.search(rest):
        end = _street_line_end(rest)
        found.append(("STREET_ADDRESS", start, start + end))
    elif ("CREDENTIAL" in wanted or "PERSON" in wanted) and not _NOT_AN_ANSWER.search(rest):
        clause = _CLAUSE_END.search(rest)
        end = clause.start() if clause else len(rest)
        value = rest[:end].rstrip()
        words = value.split()
        entity = "CREDENTIAL" if "CREDENTIAL" in wanted else "PERSON"
        shaped = entity == "CREDENTIAL" or all(_NAME_SHAPED.fullmatch(w) for w in words)  # a name: letters only
        if 0 < len(words) <= (3 if entity == "CREDENTIAL" else 5) and len(value) <= 64 and shaped:
            found.append((entity, start, start + len(value)))
    code = _CODE_IN_REPLY.search(text) if "CREDENTIAL" in wanted else None
    if code is not None and not any(c.isdigit() for _, a, b in found for c in text[a:b]):
        # A code typed after a word or two of its own ("hang on.. 40 77 19"): its digits are the answer.
        found = [("CREDENTIAL", code.start(), code.end())]
    return found


_CODE_IN_REPLY = re.compile(r"(?<![\w-])\d(?:[ -]?\d){3,9}(?![\w-])")


_UNIT_WORDS = frozenset(_words("flat apt apartment unit suite floor room house block building door apto piso"))


def _street_line_end(reply: str) -> int:
    """Where the street line of an address typed as a reply ends: after the first comma-separated
    part that holds a number and a word ("Flat 2, 14 Mill Lane, Leeds" ends after "Lane")."""
    position = 0
    for part in re.finditer(r"[^,\n.;]+", reply):
        position = part.end()
        words = re.findall(r"\b[^\W\d_]{2,}\b", part.group())
        if re.search(r"\d", part.group()) and any(w.lower() not in _UNIT_WORDS for w in words):
            break
        if part.start() > 60:
            break
    return len(reply[:position].rstrip())
