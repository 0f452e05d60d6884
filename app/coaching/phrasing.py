"""The customer's words, made sayable: their complaint as a clause in the agent's voice, a short verbatim
quote, and who caused what went wrong.

Phrasing ideas are templates such as ``"I'm sorry {issue} — that's on us."`` or ``"So {issue} — have I got
that right?"``. {issue} must read as the agent talking: the customer's "I/my" becomes "you/your", their
"you/your" (the company) becomes "we/our", a question or a demand is never passed off as a statement, and a
long sentence is cut where a clause ends. Ownership language ("that's on us") is offered only when
:func:`fault` says the company caused the problem; the patterns it uses are data
(frameworks/ownership.yaml) that a tenant can extend.

Pure Python and ``re`` (plus pydantic/PyYAML for the lexicon): no model, no spaCy. An uncached call takes about
0.1 ms per sentence; the text functions are cached per sentence and `fault` per sentence of the conversation.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# libyaml's C parser when present: the example files are ~2,000 sentences, 1.5 s to parse in pure Python.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_OWNERSHIP_PATH = Path(__file__).resolve().parents[2] / "frameworks" / "ownership.yaml"

Fault = Literal["company", "external", "customer", "unknown"]

# --------------------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------------------


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_PREPOSITIONS = _set(
    "to for with in on at from by about of into onto upon over under after before since until during without "
    "through via than like against between around across per despite towards toward within"
)
_DETERMINERS = _set("the a an my your our their his her its this that these those some any no every each another")
_ADVERBS = _set(
    "never still just already also even always only really actually literally clearly obviously definitely "
    "honestly seriously simply probably then again ever totally completely constantly repeatedly now recently "
    "basically apparently suddenly randomly finally"
)
_CONJUNCTIONS = _set(
    "and but because cos cuz coz since although though whereas while which plus so or when whenever after "
    "before until unless if once that who where"
)
# Words that start a new clause when the text is cut (punctuation and dashes are boundaries too).
_BOUNDARY_WORDS = _set("and but because cos cuz coz since although though whereas while which plus")
_SUBORDINATORS = _set("when whenever after before until unless if")
_SUBJECT_PRONOUNS = _set(
    "i you we he she it they this that there nobody noone no-one someone somebody everyone everybody everything "
    "nothing anyone anybody something u"
)
_THIRD_SINGULAR = _set(
    "it he she this that nobody noone no-one someone somebody everyone everybody everything nothing anyone "
    "anybody something one which who"
)
_AUX = _set(
    "am is are was were has have had do does did can could will would shall should may might must "
    "isn't aren't wasn't weren't hasn't haven't hadn't don't doesn't didn't can't cannot couldn't won't "
    "wouldn't shouldn't mustn't ain't"
)
_CHUNK_OPENERS = _BOUNDARY_WORDS | _set("so or then")
_DETERMINERS_NOT_NO = _DETERMINERS - {"no"}
_NOT_NOUNS = _DETERMINERS | _PREPOSITIONS | _ADVERBS | _CONJUNCTIONS
_NO_SUBJECT_START = _PREPOSITIONS | _set("why how what")
_FUNCTION_WORDS = (
    _PREPOSITIONS
    | _DETERMINERS
    | _ADVERBS
    | _CONJUNCTIONS
    | _SUBJECT_PRONOUNS
    | _AUX
    | _set("i me my we us our you your they them their he him his she her it its so then there here also not")
)
_IRREGULAR = _set(
    "came went got gets keeps kept said says told tells took takes made makes broke breaks sent sends paid pays "
    "left leaves lost loses gave gives put cut let set sat ran runs wrote bought brought thought knew saw heard "
    "found fell felt held meant met spent stuck won forgot hung rang froze stole shut sold spoke threw drove "
    "began became goes comes shows seems happens works fails loads crashes freezes stops drops sucks lags hangs "
    "glitches disconnects restarts reboots overheats buffers leaks shuts died dies owes costs hurts answers "
    "responds replies arrives charges"
)
_ED_NOT_VERBS = _set(
    "need speed feed bed red shed seed hundred weed deed indeed breed greed reed embed sled wed naked wicked "
    "sacred kindred rugged ragged crooked beloved"
)
_PLAIN_PLURALS_NOT_VERBS = _set("weeks days months hours minutes years times items orders emails calls")

# Base forms a customer's "you" does something generic with ("when you open it" = anyone opening it).
_GENERIC_VERBS = _set(
    "open try click tap press log login sign go use type enter visit load scroll select add search restart "
    "launch reboot refresh swipe upload download install start run turn switch plug connect hit choose pick "
    "navigate access reach scan submit pay checkout call ring phone dial get"
)
# Verbs after which a pronoun is the object ("I paid you" -> "you paid us").
_OBJECT_VERBS = _set(
    "told tell paid pay called call emailed email sent send gave give asked ask contacted contact thank thanked "
    "messaged message wrote informed inform reminded remind warned warn trusted trust believe believed texted "
    "chased rang phoned want wanted need needed expect expected let made make help helped love hate begged "
    "beg pinged chased show showed trusted"
)
_YOU_VERBS = _set(
    "charge bill keep send say tell promise take make give owe lie claim expect cancel lose ship deliver ignore "
    "refuse deny overcharge block suspend close sell advertise state offer provide need have do keep guys "
    "people lot"
)
_IMPERATIVES = _set(
    "give cancel refund send fix call stop return tell help let make get check sort put transfer connect close "
    "remove delete change update reset unlock process email ship deliver explain escalate contact reverse credit "
    "compensate reimburse look do resolve restore reconnect reactivate activate unblock confirm provide show "
    "answer respond reply issue arrange book replace exchange pick collect find track investigate speak talk "
    "unsubscribe take refund pay hurry waive read listen wait note try"
)
_OBJECT_START = _set(
    "me my us our it this that these those them the a an your his her now asap back out up immediately please "
    "what why how where when whether "
    "pls plz already right someone somebody everything all whoever to with"
)
_DANGLING = (
    _DETERMINERS
    | _PREPOSITIONS
    | _CONJUNCTIONS
    | _set("is are was were be been being have has had do does did very really just not to also the as and or am")
)
_PARTICLES = _set("in on off out up down back over away around through")
_PARTICLE_VERBS = _set(
    "log logs logged logging sign signs signed check checked turn turns turned switch switched come came call "
    "called pick picked set get gets got give gave show showed plug plugged hang hung cut shut break broke go "
    "went take took put let kick kicked kicks lock locked locks kept keep sort sorted fill filled top topped "
    "back backed mess messed screw screwed cancel run ran time timed"
)
_END_OK = _set("this that these those")
_NATURAL_DANGLING = (_DETERMINERS - _END_OK) | _set(
    "and but or nor because cos cuz coz although whereas if unless plus to"
)
_NEEDS_OBJECT = _set("named called sent emailed emailing texted messaged contacted reach reached")
_COMMON_NOUNS = _set(
    "internet broadband wifi wi-fi connection signal service app website site page system account card bill "
    "invoice payment refund charge fee price plan contract subscription order parcel package delivery item "
    "product box shipment tracking driver courier engineer technician router modem phone laptop tv screen "
    "battery email password login code flight train booking room hotel reservation ticket seat luggage bag "
    "suitcase car deposit claim insurance policy water power electricity heating gas meter line call agent "
    "staff team manager support everything nothing someone somebody nobody everyone anyone food meal pizza "
    "order money balance transfer statement update upgrade installation repair replacement return label "
    "customer customers people prescription medication appointment renewal premium quote cover bank"
)
_AGREE = {
    "was": "were",
    "wasn't": "weren't",
    "am": "are",
    "is": "are",
    "has": "have",
    "hasn't": "haven't",
    "does": "do",
    "doesn't": "don't",
}
_FIRST_PERSON = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "i've": "you've",
    "i'll": "you'll",
    "i'd": "you'd",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    "we're": "you're",
    "we've": "you've",
    "we'll": "you'll",
    "we'd": "you'd",
}
_SECOND_PERSON = {
    "your": "our",
    "yours": "ours",
    "yourself": "ourselves",
    "yourselves": "ourselves",
    "you're": "we're",
    "you've": "we've",
    "you'll": "we'll",
    "you'd": "we'd",
    "urs": "ours",
}
_TYPOS = {
    "im": "I'm",
    "ive": "I've",
    "dont": "don't",
    "cant": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "arent": "aren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "youre": "you're",
    "youve": "you've",
    "theyre": "they're",
    "thats": "that's",
    "yall": "y'all",
    "u": "you",
}
_QUESTION_OPENERS = _set("please pls plz so and but ok okay also yes no oh ah")
_DEMAND_OPENERS = _set("please pls plz kindly just now so yes ok okay oh and but")
_NOT_PARTICIPLES = _set("heard seen had been")
_ONGOING = _set("waiting trying getting paying being receiving having dealing going")
_THEN_WORDS = _set("then now also")
_ADVERBS_CAN = _ADVERBS | _set("can can't cannot couldn't even")
_ADVERBS_YOU = _ADVERBS | _set("guys people lot all")
_GENERIC_OPENERS = _set("when whenever if once time until unless after before soon")
_UR_BEFORE = _set("not always never so still a an the supposed")
_COMMON_STARTERS = _set("first second third fourth fifth last next today yesterday tonight")
_WH = _set("why how what who whom whose which where wtf")
# Capitals kept when a sentence is lowered (shouting is lowered; these are names, not shouting).
ACRONYMS = _set(
    "DHL UPS USPS DPD TNT GLS ATM PIN SIM TV PC SMS OTP VAT UK USA EU GPS HMRC IBAN SEPA GDPR IMEI HDMI "
    "ISP VPN USB PDF CEO NHS DVLA EE BT O2 AT&T"
)
SHORT_SHOUTS = _set(
    "NOT NO ANY ALL TWO ONE TEN SIX WHY NOW YOU ME MY WAS DID HAS AND BUT THE OFF OUT YET BAD SAY FOR GOT LIE "
    "SO TOO ARE WHO HOW WE HAD HIS HER BIG FAR OLD NEW END DAY"
)
_KEEP_CAPITALISED = _set(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December Amazon Google Apple Netflix Visa Mastercard Christmas Easter "
    "English Spanish French German"
)

# --------------------------------------------------------------------------------------------------------------
# Patterns over the lower-cased, single-spaced token string (" , " marks punctuation between tokens)
# --------------------------------------------------------------------------------------------------------------

_LEAD = re.compile(
    r"^(?:(?:"  # several words first: an alternation takes the first that fits, not the longest
    r"(?:hi|hello|hey) (?:there|team|guys|all|everyone|support)|good (?:morning|afternoon|evening|day)|"
    r"to whom it may concern|dear (?:sir or madam|sir|madam|sirs|team|support|all|customer (?:service|support|care))|"
    r"(?:please|pls|plz|kindly) help(?: me| us)?|(?:help(?: me| us)?(?: please| pls| plz| asap| urgently)*)"
    r"(?= (?:,|my|our|the|i|i'm|i've|it|we|we're) )|"
    r"thank you(?: so much)?(?: in advance)?|thanks(?: a lot| so much| in advance| for nothing)?|"
    r"as (?:i|we) (?:said|mentioned|explained|told you|wrote)(?: before| earlier| already| previously)?|"
    r"like (?:i|we) said(?: before)?|i mean|you know|to be honest|tbh|long story short|quick (?:one|question)|"
    r"the (?:thing|problem|issue|situation|point) is(?: that)?|here's the (?:thing|problem|issue)|"
    r"hi|hello|hey|hiya|heya|yo|greetings|so|well|ok|okay|okey|k|basically|honestly|frankly|look|listen|"
    r"like(?= ,)|"
    r"i(?= , (?:um+|uh+|erm+|er|well|like|so|i mean))|"
    r"u+m+|u+h+|e+r+m*|h+m+|also|and|but|anyway|anyways|alright|plus|btw|fyi|again|sorry|ps|oh|ah|actually|"
    r"literally|seriously|just|now|great|wow|lovely|brilliant|perfect|fantastic|amazing|awesome|wonderful|"
    r"superb|nice|ugh|sigh|smh|lol|omg|wtf|jeez|geez|ffs|unbelievable|yeah|yep|yup|(?:yes|no|nope|right)(?= ,)"
    r")(?: ,)? )+"
)
# "I'm writing because", "the problem is that", "love how": framing before the complaint itself.
_INTRO = re.compile(
    r"^(?:(?:i'm|i am) (?:writing|contacting you|reaching out|calling|messaging|emailing|getting in touch|here)"
    r"(?: to you)?(?: (?:because|since|as|about the fact that|regarding the fact that)|"
    r" to (?:say|tell you|complain|report|let you know|inform you)(?: that)?)|"
    r"i (?:just )?wanted to (?:let you know|say|tell you|inform you|report|complain)(?: that)?|"
    r"i(?:'d| would) like to (?:report|complain|inform you|let you know|say)(?: that)?|"
    r"i (?:want|have) to (?:report|complain|say)(?: that)?|i have to say(?: that)?|"
    r"(?:i )?(?:love|like) (?:how|that)|(?:just )?(?:great|perfect|brilliant|lovely) ,?|"
    r"oh (?:great|joy|wonderful|perfect|brilliant|lovely|wow)|(?:once|yet) again|here we go again|come on|"
    r"for (?:god'?s|pete'?s|heaven'?s) sake|"
    r"i (?:have|got|had) (?:a |an |one )?(?:big |small |serious |little )?(?:problem|issue|question|complaint)"
    r"(?: with (?:my|the|your|our) \w+)?(?: ,)?(?= (?:my|the|your|our|i|it|we|you|this|nobody|no one) )"
    r")(?: ,)? "
)
_GREETING_CHUNK = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|thanks|thank you|regards|kind regards|"
    r"cheers|best)\b"
)
_EVALUATION = re.compile(
    r"^(?:(?:this|that|it|you|you guys|you people|your (?:company|service|support|customer service|app)|"
    r"what|how|so|such|wow)(?: is| are|'s|'re| was| were)?(?: so| really| absolutely| completely| totally| just| "
    r"beyond| truly| an?| the| such an?)* (?:joke|ridiculous|unacceptable|useless|terrible|pathetic|awful|horrible|"
    r"worst|incompetent|scam|disgrace\w*|disgusting|outrageous|insane|stupid|idiots?|clowns?|liars?|thieves|"
    r"scammers?|shocking|appalling|absurd|crazy|madness|nonsense|rubbish|bs|bullshit|nightmare|mess|shameful|"
    r"embarrassing|annoying|frustrating|infuriating|waste|garbage|trash|laughable|a joke)\b)"
)
_DEMAND = re.compile(
    r"^(?:(?:i|we)(?:'d| would)(?: really| just)? like\b|"
    r"(?:i|we)(?: really| just| simply| still| do| also| now)* (?:want|demand|expect|insist|require|need|request|"
    r"wish|deserve)\b|"
    r"(?:you|you guys|you people)(?: \w+)? (?:need to|have to|must|better|'d better|had better|gotta|got to|"
    r"should (?!have|'ve)|owe me)\b|"
    r"(?:i|we)(?:'ll| will| am going to|'m going to| shall|'m gonna| am gonna)(?: just)? (?:cancel|leave|switch|go|"
    r"sue|report|take|close|never|be (?:cancelling|leaving|switching|contacting|reporting|taking)|contact|call|post|"
    r"complain|escalate|dispute|chargeback|order it|buy it|shop|move)|"
    r"(?:or|otherwise) (?:else|i|we)\b|i'm asking you|i am asking you|let me (?:speak|talk)|"
    r"(?:money|refund|replacement|compensation) (?:back )?(?:now|asap|please|pls|immediately|today)\b)"
)
# Sarcasm that says the opposite ("waiting 2 hours is so much fun"): nothing to restate.
_SARCASM = re.compile(
    r"\b(?:so much fun|such fun|what fun|(?:i )?love (?:it )?when|just what i needed|exactly what i needed|"
    r"thanks for nothing|how wonderful|how lovely|living the dream|my favou?rite thing)\b"
)
_INDIRECT_QUESTION = re.compile(
    r"\b(?:wondering|want(?:ed)? to know|like to know|tell me (?:why|how|what|when|where|if|whether)|"
    r"(?:can|could|would) (?:someone|anyone|you|u) (?:tell|explain|let|please)|no idea (?:why|how|what|when|where)|"
    r"(?:don't|do not|dont) (?:know|understand) (?:why|how|what|when|where|if|whether))\b"
)
_PLEA_CHUNK = re.compile(
    r"^(?:(?:please|pls|plz|kindly) )?(?:help(?: me)?|fix (?:it|this)|sort (?:it|this) out|do something|asap|"
    r"urgent(?:ly)?|thanks?(?: you)?(?: so much)?(?: in advance)?|thx|ty|cheers|regards|kind regards|lol|smh|"
    r"wtf|ffs|please|pls|plz|now|right now|immediately|again)"
    r"(?: (?:please|pls|plz|asap|now|immediately|thanks|thank you|urgently))*$"
)
_TRAILING = re.compile(
    r"(?: ,)?(?: (?:please|pls|plz|kindly|asap|urgently|urgent|immediately|right now|honestly|tbh|seriously|"
    r"i guess|i suppose|to be honest|lol|lmao|haha|really|"
    r"thanks?(?: you)?(?: so much)?(?: in advance)?|thx|ty|cheers|lol|smh|wtf|ffs|help(?: me)?|"
    r"(?:please|pls|plz) (?:help|fix)(?: it| this| me)?|fix (?:it|this)(?: now| asap| please| pls| immediately)?|"
    r"sort (?:it|this) out|do something|regards|kind regards))+$"
)

_APOSTROPHES = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "–": "—", "…": "...", "\t": " "}
)
_HTML_TAG = re.compile(r"</?[a-z][^<>]{0,40}>")
_PLACEHOLDER = re.compile(r"#[A-Z_]+[#?]|<[A-Z_]{2,}>|\[[A-Z_]{2,}\]|\{\{[^}]*\}\}")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]|(?<!\\w)[:;=]-?[()DPp/\\\\|]+(?!\\w)")
_SENTENCES = re.compile(r"(?<=[!?])\s+|(?<=[^.]\.)\s+|\s*\n+\s*")  # not after an ellipsis: "my parcel... never came"
# A word, a number or an id: "£1,249.99", "$20.50", "PA-60012", "12/03", "can't" are one token each.
_TOKEN = re.compile(r"[\w$€£#@&](?:(?:[\w'$€£#@&/:+-]|\.(?=\w)|,(?=\d{3}))*[\w$€£%])?")
_PUNCT = re.compile(r"[^\w\s'$€£#@&%]")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
_PRE_NOISE = re.compile(r"[!?\"*()\[\]]+|(?<!\w)'|'(?!\w)")
_PRE_COMMA = re.compile(r"[,;:]|\.\.")
_PRE_DASH = re.compile(r"\s-+\s")
_CAUSE_IN_MATCH = re.compile(r"\b(?:fault|blame|because|due to|caused)\b")
_BOUNDARY_PUNCT = re.compile(r"[,;()—]|\s-+\s|\.\.|[.!?]\s")


# --------------------------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------------------------


class _Tok:
    """A word: `text` as rendered, `low` lower-cased with straight apostrophes and typos spelled out, `pre` the
    separator before it; `done` once it is in the agent's voice, `gone` when dropped ("you guys" -> "we")."""

    __slots__ = ("_pre", "boundary", "done", "gone", "low", "punct", "text")

    def __init__(self, text: str, low: str, pre: str, *, done: bool = False) -> None:
        self.text, self.low, self.done, self.gone = text, low, done, False
        self.pre = pre

    @property
    def pre(self) -> str:
        return self._pre

    @pre.setter
    def pre(self, pre: str) -> None:
        self._pre = pre
        self.punct = bool(_PUNCT.search(pre))  # punctuation before it, not just a space
        # A clause may start here: after punctuation, or at a conjunction.
        self.boundary = bool(_BOUNDARY_PUNCT.search(pre + " ")) or self.low in _BOUNDARY_WORDS


_GAP = "\u00a6"  # where a placeholder was


def _normalise(text: str) -> str:
    text = _PLACEHOLDER.sub(f" {_GAP} ", _HTML_TAG.sub(" ", text.translate(_APOSTROPHES)))
    text = _EMOJI.sub(" ", text).replace("--", " — ")
    return _SPACES.sub(" ", text).strip()


_LETTERS = re.compile(r"[^\W\d_]")
_CAPITALS = re.compile(r"[A-Z]")


def _mostly_capitals(text: str) -> bool:
    letters = len(_LETTERS.findall(text))
    return letters >= 4 and len(_CAPITALS.findall(text)) > 0.6 * letters


def _tokens(sentence: str, *, lower_shouting: bool) -> tuple[list[_Tok], str]:
    """Tokens with the separator before each, and the text after the last one. With `lower_shouting` (the
    agent's voice, not a verbatim quote) shouting is lower-cased and typos like "dont" are spelled out."""
    shouting = lower_shouting and _mostly_capitals(sentence)
    toks: list[_Tok] = []
    last = 0
    for match in _TOKEN.finditer(sentence):
        word = match.group(0)
        if (
            lower_shouting
            and word.isupper()
            and word.isalpha()
            and word not in ACRONYMS
            and (shouting or len(word) >= 4 or word in SHORT_SHOUTS)
        ):
            word = word.lower()
        low = word.lower()
        if low in _TYPOS:
            fixed = _TYPOS[low]
            low = fixed.lower()
            if lower_shouting:
                word = fixed.capitalize() if word[:1].isupper() and not fixed.startswith("I'") else fixed
        toks.append(_Tok(word, low, sentence[last : match.start()]))
        last = match.end()
    tail = sentence[last:]
    for i, tok in enumerate(toks):
        if tok.low == "ur":  # "ur app" (your) or "ur not listening" (you're)
            nxt = toks[i + 1].low if i + 1 < len(toks) else ""
            tok.low = "you're" if nxt.endswith("ing") or nxt in _UR_BEFORE else "your"
    if lower_shouting:
        toks = _drop_asides(toks)
    for i, tok in enumerate(toks):
        if _GAP in tok.pre:
            # A placeholder after "to", "is", "the" ("I sent it to <EMAIL_ADDRESS>") leaves a hole: cut there.
            # One in apposition ("my email <EMAIL_ADDRESS> bounces") or a greeting ("Hi #NAME#,") just goes.
            tok.pre = _SPACES.sub(" ", tok.pre.replace(_GAP, " "))
            if i and (toks[i - 1].low in _DANGLING or toks[i - 1].low in _NEEDS_OBJECT):
                toks = toks[:i]
                while toks and (toks[-1].low in _DANGLING or toks[-1].low in _NEEDS_OBJECT):
                    toks.pop()
                return toks, ""
    return toks, tail.replace(_GAP, " ")


def _drop_asides(toks: list[_Tok]) -> list[_Tok]:
    """Without the customer's asides in parentheses ("I returned it (I have the receipt) but ..."); a short
    one with a number is kept without its brackets ("my order (4471) is late" -> "my order 4471 is late")."""
    kept: list[_Tok] = []
    aside: list[_Tok] | None = None
    for tok in toks:
        if aside is None and tok.pre.count("(") > tok.pre.count(")"):
            aside, tok.pre = [], tok.pre.split("(")[0] + " "
        elif aside is not None and ")" in tok.pre:
            if len(aside) <= 3 and any(c.isdigit() for t in aside for c in t.text):
                kept.extend(aside)
            tok.pre = tok.pre.split(")")[-1] or " "
            aside = None
        (kept if aside is None else aside).append(tok)
    if aside and len(aside) <= 3 and any(c.isdigit() for t in aside for c in t.text):
        kept.extend(aside)  # "my order is late (4471" never closed
    return kept or toks


def _joined(toks: list[_Tok]) -> tuple[str, list[int]]:
    """The lower-cased tokens joined by spaces, " , " where punctuation separated them, and each token's offset."""
    parts: list[str] = []
    offsets: list[int] = []
    pos = 0
    for i, tok in enumerate(toks):
        sep = "" if i == 0 else " , " if tok.punct else " "
        pos += len(sep)
        offsets.append(pos)
        parts.append(sep + tok.low)
        pos += len(tok.low)
    return "".join(parts) + " ", offsets


def _consumed(offsets: list[int], end: int) -> int:
    """How many tokens start before `end` in the joined string."""
    return sum(1 for o in offsets if o < end)


def _chunks(toks: list[_Tok], start: int, end: int) -> list[tuple[int, int]]:
    """Clause-sized spans of toks[start:end], split at punctuation and conjunctions."""
    bounds = [start]
    for i in range(start + 1, end):
        tok = toks[i]
        nxt = toks[i + 1].low if i + 1 < end else ""
        if (
            tok.boundary
            or tok.low in _SUBORDINATORS
            or (tok.low in ("so", "or", "then") and (nxt in _SUBJECT_PRONOUNS or nxt in _FIRST_PERSON or nxt == "else"))
        ):
            bounds.append(i)
    bounds.append(end)
    return [(a, b) for a, b in pairwise(bounds) if b > a]


def _words(toks: list[_Tok], a: int, b: int) -> list[str]:
    words = [t.low for t in toks[a:b]]
    while words and words[0] in _CHUNK_OPENERS:
        words = words[1:]
    return words


# --------------------------------------------------------------------------------------------------------------
# Clause tests
# --------------------------------------------------------------------------------------------------------------


def _pronoun_contraction(word: str) -> bool:
    base, _, suffix = word.partition("'")
    return bool(suffix) and suffix in ("m", "re", "s", "ve", "ll", "d") and base in _SUBJECT_PRONOUNS


def _verbish(words: list[str], k: int) -> bool:
    """Whether words[k] looks like a finite verb, given the word before it."""
    word = words[k]
    prev = words[k - 1] if k else ""
    if word in _AUX or word in _IRREGULAR or word.endswith("n't"):
        return True
    if not word.isalpha() and "'" not in word:
        return False
    if word in _PREPOSITIONS or word in _DETERMINERS or word in _CONJUNCTIONS:
        return False
    if word.endswith("ed") and len(word) >= 4 and word not in _ED_NOT_VERBS:
        return True
    if prev in ("i", "you", "we", "they", "u") or (prev in _ADVERBS and k >= 2 and words[k - 2] in ("i", "we", "you")):
        return word not in _ADVERBS and word not in _PREPOSITIONS
    if (
        word.endswith("s")
        and len(word) >= 4
        and not word.endswith(("ss", "us", "is", "'s"))
        and word not in _PLAIN_PLURALS_NOT_VERBS
        and k + 1 < len(words)
        and (prev in _THIRD_SINGULAR or (prev.isalpha() and prev not in _NOT_NOUNS and k >= 1))
    ):
        return True
    return word.endswith("'s") and k >= 1  # "parcel's late"


def _has_clause(words: list[str]) -> bool:
    """A subject and a finite verb ("your parcel never arrived"), not a fragment ("order 4471")."""
    if not words:
        return False
    if _pronoun_contraction(words[0]):
        return len(words) >= 2  # "it's broken", "I'm locked out"
    for k in range(1, len(words)):
        if _pronoun_contraction(words[k]) and words[k - 1] not in _PREPOSITIONS:
            return True
        if _verbish(words, k):
            return (
                any(
                    w in _SUBJECT_PRONOUNS
                    or (
                        w not in _PREPOSITIONS
                        and w not in _DETERMINERS
                        and w not in _ADVERBS
                        and w not in _CONJUNCTIONS
                        and w not in _AUX
                        and w not in _REPAIR_STARTS  # a verb is no subject: "got charged twice"
                        and not (w.endswith("ed") and w not in _ED_NOT_VERBS)
                        and any(c.isalpha() for c in w)
                    )
                    for w in words[:k]
                )
                and words[0] not in _NO_SUBJECT_START
            )
    return False


_INVERTING = _AUX - _set("ain't")


def _is_question(words: list[str]) -> bool:
    while words and words[0] in _QUESTION_OPENERS:
        words = words[1:]
    if not words:
        return False
    first, second = words[0], words[1] if len(words) > 1 else ""
    if first in _WH:
        return not (first == "what" and second in ("a", "an"))  # "what a joke": an exclamation
    if first == "when" and second in _AUX:
        return True
    if first in _INVERTING and (
        second in _SUBJECT_PRONOUNS or second in _DETERMINERS_NOT_NO or second in _FIRST_PERSON
    ):  # "is my order lost", not "have no internet"
        return True
    if first in ("any", "anyone", "anybody") and len(words) <= 4:  # "any update?"
        return True
    return bool(_INDIRECT_QUESTION.search(" ".join(words)))


def _is_demand(words: list[str]) -> bool:
    """An imperative or a demand ("give me my money back", "I want a refund", "you need to fix this")."""
    pleading = False
    while words and words[0] in _DEMAND_OPENERS:
        pleading = pleading or words[0] in ("please", "pls", "plz", "kindly")
        words = words[1:]
    if not words:
        return True
    if pleading and not (words[0] in _FIRST_PERSON or words[0] in _DETERMINERS or words[0] in _SUBJECT_PRONOUNS):
        return True  # "please do call", "please to check my order"; not "please, my order never came"
    first, second = words[0], words[1] if len(words) > 1 else ""
    if first in _IMPERATIVES and (
        not second or second in _OBJECT_START or (first in ("stop", "keep", "quit") and second.endswith("ing"))
    ):
        return True
    return bool(_DEMAND.match(" ".join(words)))


_FILLER_CHUNKS = frozenset(
    [
        "my bad",
        "my fault",
        "my mistake",
        "our bad",
        "our fault",
        "our mistake",
        "i guess",
        "i suppose",
        "i think",
        "to be honest",
        "tbh",
        "honestly",
        "seriously",
        "really",
        "fine",
        "whatever",
        "i mean",
        "you know",
    ]
)
_INSULT = re.compile(
    r"^(?:you|you're|you are|youre|you guys|you people|your \w+|this|that|it|it's|that's|this is|what a|such a|"
    r"absolutely|totally|so|how)\b.{0,50}\b(?:idiots?|morons?|useless|incompetent|clowns?|imbeciles?|liars?|thieves|"
    r"scammers?|scam|joke|pathetic|brain ?dead|stupid|garbage|trash|rubbish|disgrace\w*|nightmare|ridiculous|"
    r"unacceptable|outrageous|robbery|criminal|a bot|clueless|hopeless|worst)\b"
)
_FEELING = re.compile(
    r"^(?:i'm|i am|i feel|i'm feeling|we're|we are|i've had|i have had)(?: so| really| very| absolutely| completely|"
    r" just| totally| beyond| honestly| getting| becoming)* (?:fed up|sick(?: and tired)?|tired|done|frustrated|"
    r"angry|furious|annoyed|upset|disappointed|livid|pissed(?: off)?|mad|exhausted|over it|disgusted|stressed|"
    r"worried|confused|at my wits'? end|enough|so done|losing my patience|losing patience)"
    r"(?: (?:of|with) (?:this|it|you(?: guys| people)?|your (?:company|service|support)|all this))?(?: now)?$"
)


_NOT_HAPPY = re.compile(
    r"^(?:(?:i'm|i am|we're|we are|very|really|so|not|completely|totally|extremely|too|just|absolutely) )*"
    r"(?:(?:un)?(?:happy|impressed|pleased|amused|satisfied|ok|okay|acceptable|good enough|cool)|bad|poor|terrible|"
    r"awful|horrible|ridiculous|disappointing|disappointed|pathetic|sad|shocking|appalling|unacceptable|"
    r"(?:fantastic|great|excellent|amazing|brilliant|wonderful|lovely|top|superb|stellar|good|nice) "
    r"(?:service|job|work|support|stuff)(?: as (?:always|usual))?)$"
)


def _is_filler(words: list[str]) -> bool:
    text = " ".join(words)
    if not text or text in _FILLER_CHUNKS:
        return True
    if _FEELING.match(text) or _NOT_HAPPY.match(text) or (_INSULT.match(text) and len(words) <= 10):
        return True
    if _GREETING_CHUNK.match(text) and len(words) <= 6:
        return True
    if _PLEA_CHUNK.match(text):
        return True
    return bool(_EVALUATION.match(text)) and len(words) <= 8


def _droppable(words: list[str], *, last_is_question: bool) -> bool:
    """A chunk after the complaint that is not part of it: a plea, demand, threat, question or verdict."""
    return (
        last_is_question
        or _is_filler(words)
        or _is_demand(words)
        or _is_question(words)
        or (len(words) <= 4 and not _has_clause(words) and bool({"asap", "now", "please", "pls"} & set(words)))
    )


# --------------------------------------------------------------------------------------------------------------
# Repairs for fragments: "Was charged twice" -> "you were charged twice", "My order, it never came"
# --------------------------------------------------------------------------------------------------------------

_PASSIVE = _set(
    "charged billed overcharged debited double-charged locked kicked disconnected cut logged blocked banned "
    "suspended told promised refused denied ignored hung transferred redirected misinformed misled scammed "
    "ripped"
)
_CUSTOMER_ACTS = _set(
    "ordered paid bought purchased booked called emailed contacted tried returned received requested submitted "
    "spoke talked waited signed subscribed upgraded reported asked applied registered placed made had got lost "
    "moved changed phoned rang chatted messaged wrote filled followed checked updated installed renewed "
    "cancelled canceled topped spent visited went"
)
_IT_ACTS = _set(
    "keeps kept stopped stops crashes crashed freezes froze says said shows showed won't doesn't isn't is "
    "wasn't broke died arrived came turned"
)
_BASE_VERBS = _set(
    "receive get have know work understand see hear arrive come answer reply respond fix send pay use open load find "
    "log sign access login connect"
)
_AFTER_VERB = _DETERMINERS | _PREPOSITIONS | _ADVERBS | _set("that me it them us him her twice again")
_DITRANSITIVE = _set("promised told offered given charged billed quoted shown refused denied")
_NUMBER_WORDS = _set("a an one two three four five six seven eight nine ten several many few")
_TIME_UNITS = _set("minutes hours days weeks months years minute hour day week month year")
_YOU_LEADS = _set("haven't didn't don't can't cannot couldn't never still just already also not wasn't weren't have")


_REPAIR_STARTS = _PASSIVE | _CUSTOMER_ACTS | _IT_ACTS | _YOU_LEADS | _IRREGULAR | _set("be been being")


def _insert(toks: list[_Tok], at: int, words: str) -> None:
    """Insert words already in the agent's voice before toks[at] (taking over its separator)."""
    new = [_Tok(w, w.lower(), " ", done=True) for w in words.split()]
    new[0].pre = toks[at].pre
    toks[at].pre = " "
    toks[at:at] = new


def _repair_subject(toks: list[_Tok], start: int, end: int) -> int | None:
    """Give a subject-less clause its subject; returns how many tokens were added, None when it cannot."""
    words = [t.low for t in toks[start:end]]
    if len(words) < 2:
        return None  # "Never." is not a complaint to restate
    first, second = words[0], words[1]
    if first in ("was", "were"):
        toks[start].text, toks[start].done = "were", True
        _insert(toks, start, "you")
        return 1
    if first in ("wasn't", "weren't"):
        toks[start].text, toks[start].done = "weren't", True
        _insert(toks, start, "you")
        return 1
    if first == "been" or (first in ("have", "has") and second == "been"):
        after = second if first == "been" else words[2] if len(words) > 2 else ""
        personal = after.endswith(("ing", "ed")) or after in _IRREGULAR  # "been waiting", not "been like this"
        subject = "it" if first == "has" or not personal else "you've" if first == "been" else "you"
        _insert(toks, start, "it's" if subject == "it" and first == "been" else subject)
        return 1
    if first.isdigit() or first in _NUMBER_WORDS:
        # "3 weeks since I returned the car" -> "it's been 3 weeks since you returned the car"
        if second in _TIME_UNITS and (len(words) == 2 or words[2] in ("since", "and", "now")):
            _insert(toks, start, "it's been")
            return 2
        return None
    if first == "not" and second.endswith("ing"):
        _insert(toks, start, "it's")
        return 1
    if first == "not" and (second.endswith("ed") or second in _IRREGULAR or second in _NOT_PARTICIPLES):
        _insert(toks, start, "you have")
        return 2
    if first in ("still", "just", "already", "also") and second.endswith("ing"):
        _insert(toks, start, "you're")
        return 1
    if first.endswith("ing") and first in _ONGOING:
        _insert(toks, start, "you're")
        return 1
    if first in _PASSIVE and (second not in _DETERMINERS_NOT_NO or first in _DITRANSITIVE):
        _insert(toks, start, "you were")
        return 2
    if first in _CUSTOMER_ACTS or (
        first in _YOU_LEADS
        and (first.endswith("n't") or first in _AUX or second in _BASE_VERBS or _verbish(["it", *words[1:]], 1))
    ):  # "Never received my order", "Can't log in", not "Still more than HomeSure"
        _insert(toks, start, "you")
        return 1
    if first in _IT_ACTS:
        _insert(toks, start, "it")
        return 1
    return None


def _merge_dislocated(toks: list[_Tok], chunks: list[tuple[int, int]]) -> bool:
    """'My order 4471, it never arrived' -> 'my order 4471 never arrived'; 'Order 4471 - never arrived' too."""
    if len(chunks) < 2:
        return False
    (a, b), (c, d) = chunks[0], chunks[1]
    first = [t.low for t in toks[a:b]]
    second = [t.low for t in toks[c:d]]
    if not (1 <= len(first) <= 6) or first[0] in _PREPOSITIONS or toks[c].low in _BOUNDARY_WORDS:
        return False
    if _is_question(second) or _is_demand(second):
        return False
    if second[0] in ("it", "they", "this", "that", "he", "she") and _has_clause(second):
        del toks[c]
        toks[c].pre = " "
        return True
    if second[0] in _ADVERBS or second[0] == "not" or _verbish(["it", *second], 1):
        toks[c].pre = " "
        return True
    return False


def _insert_copula(toks: list[_Tok], start: int, end: int) -> bool:
    """'internet not working since Monday' -> 'internet is not working since Monday'."""
    for k in range(start + 1, end - 1):
        low, nxt = toks[k].low, toks[k + 1].low
        if low == "not" and nxt.endswith("ing"):
            noun = toks[k - 1].low
            _insert(toks, k, "are" if noun.endswith("s") and not noun.endswith("ss") else "is")
            return True
    return False


# --------------------------------------------------------------------------------------------------------------
# Pronouns: the customer's "I" becomes "you", their "you" (the company) becomes "we"
# --------------------------------------------------------------------------------------------------------------


def _next_word(toks: list[_Tok], i: int, end: int, skip: frozenset[str] = _ADVERBS) -> int | None:
    j = i + 1
    while j < end and toks[j].low in skip and not toks[j].boundary:
        j += 1
    return j if j < end and not toks[j].boundary else None


def _agree(toks: list[_Tok], i: int, end: int) -> None:
    j = _next_word(toks, i, end)
    if j is not None and not toks[j].done and toks[j].low in _AGREE:
        toks[j].text, toks[j].done = _AGREE[toks[j].low], True


def _you_is_subject(toks: list[_Tok], i: int, start: int, end: int) -> bool:
    prev = toks[i - 1].low if i > start and not toks[i].boundary else ""
    if prev in _OBJECT_VERBS:  # "I paid you", "I told you"
        return False
    j = _next_word(toks, i, end, _ADVERBS_YOU)
    nxt = [t.low for t in toks[i:end]]
    if j is not None:
        word = toks[j].low
        rel = j - i
        if word in _YOU_VERBS or word in _AUX or word.endswith("n't") or _verbish(nxt, rel) or word in _IRREGULAR:
            return True  # "it looks like you entered", "the item you sent"
    if prev in _PREPOSITIONS:  # "to you", "for you"
        return False
    return not prev or prev in _CONJUNCTIONS or prev in _THEN_WORDS


def _generic_you(toks: list[_Tok], i: int, start: int, end: int) -> bool:
    """'when you open it', 'you can't even log in': anyone, the customer included, not the company."""
    prev = toks[i - 1].low if i > start and not toks[i].boundary else ""
    prev = "when" if toks[i].boundary and prev == "" and i > start and toks[i - 1].low == "time" else prev
    j = _next_word(toks, i, end, _ADVERBS_CAN)
    if j is None or toks[j].low not in _GENERIC_VERBS:
        return False
    opener = prev in _GENERIC_OPENERS
    modal = any(t.low in ("can't", "cannot", "couldn't", "can") for t in toks[i + 1 : j])
    return opener or modal


def _flip(toks: list[_Tok], start: int, end: int) -> None:
    """Flip pronouns in toks[start:end] in place."""
    generic = False
    i = start
    while i < end:
        tok = toks[i]
        if tok.boundary:
            generic = False
        if tok.done:
            i += 1
            continue
        low = tok.low
        prev = toks[i - 1].low if i > start else ""
        if low == "us" and tok.text == "US":
            pass  # the country
        elif low in _FIRST_PERSON:
            tok.text = _FIRST_PERSON[low]
            if low in ("i", "we"):
                _agree(toks, i, end)
        elif low == "am" and not prev[:1].isdigit():
            tok.text = "are"
        elif low in ("you", "y'all", "ya", "ye"):
            if low == "you" and (generic or _generic_you(toks, i, start, end)):
                generic = True
            else:
                subject = _you_is_subject(toks, i, start, end)
                tok.text = "we" if subject else "us"
                if i + 1 < end and toks[i + 1].low in ("guys", "people", "lot") and not toks[i + 1].boundary:
                    toks[i + 1].gone = toks[i + 1].done = True
                if subject:
                    _agree(toks, i, end)
        elif low in _SECOND_PERSON and not (generic and low == "your"):
            tok.text = _SECOND_PERSON[low]
        tok.done = True
        i += 1


# --------------------------------------------------------------------------------------------------------------
# Cutting and rendering
# --------------------------------------------------------------------------------------------------------------

_WEAK_BOUNDARIES = _PREPOSITIONS - {"to", "of", "than", "like", "per"} | _set("that who which where while when")


def _ends_well(toks: list[_Tok], end: int) -> bool:
    """The word before `end` can end a phrase: not "the", "and", "because" ("log in", "fix this" can)."""
    last = toks[end - 1].low
    if last in _END_OK:
        return True
    if end >= len(toks) or (toks[end].punct and toks[end].pre.strip() != '"'):
        # Where the customer's own clause ends, a preposition is stranded ("a service I never signed up
        # for") and a verb is the main verb ("everything I have"); only "the", "and", "because" dangle.
        return last not in _NATURAL_DANGLING
    if last in _PARTICLES and end >= 2 and toks[end - 2].low in _PARTICLE_VERBS:
        return True
    return last not in _DANGLING


def _trim_dangling(toks: list[_Tok], start: int, end: int) -> int:
    while end > start + 1 and not _ends_well(toks, end):
        end -= 1
    return end


def _cut(toks: list[_Tok], start: int, end: int, min_end: int, max_words: int, *, need_clause: bool) -> int | None:
    """The end of the longest prefix of toks[start:end] that ends at a clause boundary, fits max_words words
    and says something (a clause, when need_clause), or None."""
    counts = [0]
    for tok in toks[start:end]:
        counts.append(counts[-1] + (not tok.gone))
    if counts[-1] <= max_words and _ends_well(toks, end):
        return end
    strong = [j for j in range(max(min_end, start + 1), end) if toks[j].boundary or toks[j].low in _SUBORDINATORS]
    for j in sorted(strong, reverse=True):
        if counts[j - start] <= max_words and _ends_well(toks, j):
            return j
    for j in range(end - 1, start + 2, -1):
        if (
            counts[j - start] <= max_words
            and toks[j].low in _WEAK_BOUNDARIES
            and _ends_well(toks, j)
            and (not need_clause or _has_clause([t.low for t in toks[start:j] if not t.gone]))
        ):
            return j
    return None


def _clean_pre(pre: str) -> str:
    pre = _PRE_NOISE.sub(" ", pre)
    if _PRE_COMMA.search(pre):
        return ", "
    if "—" in pre or _PRE_DASH.search(" " + pre + " "):
        return " — "
    pre = _SPACES.sub(" ", pre)
    return pre if pre.strip() else " "


def _render(toks: list[_Tok], start: int, end: int, tail: str, *, verbatim: bool) -> str:
    parts: list[str] = []
    for i in range(start, end):
        tok = toks[i]
        if tok.gone:
            continue
        if i == start:
            parts.append(tok.text)
        elif verbatim:  # the customer's words; only their spacing is tidied ("late , and" -> "late, and")
            parts.append(_SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", tok.pre)) + tok.text)
        else:
            parts.append(_clean_pre(tok.pre) + tok.text)
    text = "".join(parts)
    if "%" in tail[:1]:
        text += "%"
    return text


# --------------------------------------------------------------------------------------------------------------
# issue_clause
# --------------------------------------------------------------------------------------------------------------


def _strip_leading(toks: list[_Tok]) -> list[_Tok]:
    """Drop greetings, fillers, framing ("I'm writing because") and verdicts before the complaint."""
    while toks:
        joined, offsets = _joined(toks)
        n = 0
        for pattern in (_LEAD, _INTRO):
            match = pattern.match(joined)
            if match and match.end() > 0:
                n = _consumed(offsets, match.end())
                break
        if n:
            toks = toks[n:]
            if toks:
                toks[0].pre = ""
            continue
        chunks = _chunks(toks, 0, len(toks))
        a, b = chunks[0]
        words = _words(toks, a, b)
        vocative = b - a == 1 and _titled(toks[a].text) and toks[a].low not in _FIRST_PERSON  # "Marco, ..."
        if len(chunks) > 1 and (_is_filler(words) or not words or vocative):
            toks = toks[b:]
            toks[0].pre = ""
            continue
        break
    return toks


def _titled(word: str) -> bool:
    """A capital then lower case ("It's", "Marco"), unlike str.istitle, which rejects "It's"."""
    return word[:1].isupper() and word[1:] == word[1:].lower()


def _lower_first(toks: list[_Tok]) -> None:
    """A sentence's capital is not part of the clause once it is spliced into the agent's sentence; a name's
    is ("Shieldwell rejected my claim", "Marina Park is next to the motorway")."""
    word = toks[0].text
    if not _titled(word) or word == "I" or (len(toks) > 1 and _titled(toks[1].text) and toks[1].low != "i"):
        return
    low = word.lower()
    common = (
        low.split("'")[0] in _FUNCTION_WORDS  # "It's", "There's"
        or low in _COMMON_STARTERS
        or (low.endswith("er") and len(low) >= 6)
        or low in _COMMON_NOUNS
        or low in _IMPERATIVES
        or low in _REPAIR_STARTS
        or low.endswith(("ing", "ed", "ment", "tion", "sion", "ness", "ity", "age", "ance", "ence", "ies", "'s"))
    )
    if common:
        toks[0].text = low


@lru_cache(maxsize=8192)
def _issue_clause(sentence: str, max_words: int) -> str | None:
    text = _normalise(sentence)
    for part in _SENTENCES.split(text):
        clause = _sentence_clause(part, max_words)
        if clause:
            return clause
    return None


def _sentence_clause(sentence: str, max_words: int) -> str | None:
    toks, tail = _tokens(sentence, lower_shouting=True)
    if not toks:
        return None
    asks = "?" in tail and not ("!" in tail and not _is_question([t.low for t in toks]))
    toks = _strip_leading(toks)
    if not toks:
        return None
    toks[0].pre = ""
    _lower_first(toks)
    chunks = _chunks(toks, 0, len(toks))
    a, b = chunks[0]
    words = _words(toks, a, b)
    if _is_question(words) or (asks and len(chunks) == 1) or _is_demand(words) or _is_filler(words):
        return None
    if _SARCASM.search(" ".join(t.low for t in toks)):
        return None

    # The main clause needs a subject and a verb; fragments are repaired where the subject is obvious.
    main = 1  # chunks in the main clause
    # A verb first with its object or adjunct after it ("Ordered a laptop", "Promised a callback"), not a
    # participle in a noun phrase ("Ordered items never came").
    verb_first = (words[0] in _REPAIR_STARTS or (words[0].endswith("ed") and words[0] not in _ED_NOT_VERBS)) and (
        len(words) > 1 and (words[1] in _AFTER_VERB or words[1][:1].isdigit() or words[1][:1] in "$£€")
    )
    if verb_first and _has_clause(words) and _repair_subject(toks, a, b) is not None:
        chunks = _chunks(toks, 0, len(toks))  # "Promised a callback that never came": who promised is clear
        a, b = chunks[0]
    elif not _has_clause(words):
        if _repair_subject(toks, a, b) is None and not (_merge_dislocated(toks, chunks) or _insert_copula(toks, a, b)):
            # "My wife and I booked a room": a subject split at "and".
            # "The product which I bought is broken": a subject with its relative clause.
            joins = ("and", "or", "which", "that", "who")
            if (
                len(chunks) > 1
                and b - a <= 5
                and toks[b].low in joins
                and not toks[b].pre.strip()
                and _has_clause(words + [t.low for t in toks[b : chunks[1][1]]])
            ):
                main = 2
            if main == 1:
                return None
        chunks = _chunks(toks, 0, len(toks))
        a, b = chunks[0][0], chunks[main - 1][1]
        if not _has_clause([t.low for t in toks[a:b]]):
            return None

    # Keep the chunks that continue the complaint; stop at the first plea, demand, question or verdict.
    end = b
    for index, (c, d) in enumerate(chunks[main:], start=main):
        if _droppable(_words(toks, c, d), last_is_question=asks and index == len(chunks) - 1):
            break
        end = d
    end = _trim_dangling(toks, a, end)
    joined, offsets = _joined(toks[a:end])
    trailing = _TRAILING.search(joined.rstrip())
    if trailing and trailing.start() > 0:
        keep = a + _consumed(offsets, trailing.start() + 1)
        j = keep - 1
        while j > a and toks[j].low in _ADVERBS:
            j -= 1
        before = toks[j].low
        if not (before == "to" or before in _AUX or before.endswith("n't")):  # "meant to fix it", "will help"
            end = _trim_dangling(toks, a, keep)

    _flip(toks, a, end)
    cut = _cut(toks, a, end, min(b, end), max_words, need_clause=True)
    if cut is None:
        return None
    if not _has_clause([t.low for t in toks[a:cut] if not t.gone]):
        return None  # what is left is not a clause ("you people")
    result = _render(toks, a, cut, tail if cut == len(toks) else "", verbatim=False).strip(" ,;:—-")
    return result or None


def issue_clause(sentence: str, max_words: int = 16) -> str | None:
    """The customer's sentence as a clause the AGENT can say back, in the second person, or None.

    "my parcel never arrived and nobody answers the phone" -> "your parcel never arrived and nobody answers the phone"
    "you charged me twice for order 4471!!" -> "we charged you twice for order 4471"
    "I've been waiting 3 weeks for my refund" -> "you've been waiting 3 weeks for your refund"
    "why is my bill so high???" -> None (a question is never quoted as a statement)
    "Hi, so basically the app keeps crashing when I open it, pls help" -> "the app keeps crashing when you open it"
    "MY ROUTER IS DEAD AGAIN" -> "your router is dead again"
    "Refund now." / "ok" / "order 4471" -> None (no subject+verb clause)

    The customer's I/me/my/we/our become you/your ("we have no power" -> "you have no power"), their
    you/your (the company) become we/us/our with the verb agreeing ("you was" -> "we were"); a generic
    "you" ("when you open it") is kept. Greetings, fillers and sarcastic openers ("great, ...") are dropped,
    and so are trailing pleas, demands and questions. A sentence whose main clause is a demand or a question
    gives None. Text written in capitals is lower-cased; numbers, ids, dates and amounts are kept verbatim.
    A long clause is cut where a clause ends (never mid-phrase, no ellipsis); None when no cut fits. When
    `sentence` holds several sentences, the first one that gives a clause is used.
    """
    return _issue_clause(sentence, max_words)


# --------------------------------------------------------------------------------------------------------------
# quote
# --------------------------------------------------------------------------------------------------------------

_QUOTE_LEAD = re.compile(
    r"^(?:(?:good (?:morning|afternoon|evening|day)|(?:hi|hello|hey) (?:there|team|guys|all|everyone|support)|"
    r"to whom it may concern|dear (?:sir or madam|sir|madam|sirs|team|support|all|customer (?:service|support|care))|"
    r"hi|hello|hey|hiya|yo|greetings|so|well|ok|okay|basically|u+m+|u+h+|e+r+m*|h+m+|and|but|also|anyway|btw|ps"
    r")(?: ,)? )+"
)
_QUOTE_TRAIL = re.compile(
    r"(?: ,)?(?: (?:thanks?(?: you)?(?: so much)?(?: in advance)?|thx|ty|cheers|regards|kind regards|best regards))+$"
)


@lru_cache(maxsize=8192)
def _quote(sentence: str, max_words: int) -> str | None:
    text = _normalise(sentence)
    toks, tail = _tokens(text, lower_shouting=False)
    while toks:
        joined, offsets = _joined(toks)
        match = _QUOTE_LEAD.match(joined)
        if match and match.end():
            toks = toks[_consumed(offsets, match.end()) :]
            continue
        chunks = _chunks(toks, 0, len(toks))
        a, b = chunks[0]
        if len(chunks) > 1 and _GREETING_CHUNK.match(" ".join(t.low for t in toks[a:b])) and b - a <= 4:
            toks = toks[b:]
            continue
        break
    if not toks:
        return None
    toks[0].pre = ""
    joined, offsets = _joined(toks)
    trailing = _QUOTE_TRAIL.search(joined.rstrip())
    end = len(toks)
    if trailing and trailing.start() > 0:
        end = _consumed(offsets, trailing.start() + 1)
        tail = ""
    if _trim_dangling(toks, 0, end) < end:
        end, tail = _trim_dangling(toks, 0, end), ""
    words = [t.low for t in toks[:end]]
    if len(words) < 2 or not any(w.isalpha() and w not in _DANGLING for w in words):
        return None
    cut = _cut(toks, 0, end, 1, max_words, need_clause=False)
    if cut is None or cut < 2:
        return None
    result = _render(toks, 0, cut, tail if cut == len(toks) else "", verbatim=True).rstrip(" ,;:—-.(")
    if result.count("(") > result.count(")"):
        result += ")"  # an aside cut short, or closed after the last word
    if cut == len(toks):
        mark = "?!" if "?" in tail and "!" in tail else "?" if "?" in tail else "!" if "!" in tail else ""
        result += mark
    return result or None


def quote(sentence: str, max_words: int = 14) -> str | None:
    """The customer's own words, short, for quoting verbatim ("they wrote ...").

    Cut at a clause boundary (comma, 'and', 'but', 'because', ';', dash), not mid-phrase, with no ellipsis;
    greetings ("Hi #NAME#,") and sign-offs ("thanks in advance") dropped, placeholders like #NAME# or
    <EMAIL_ADDRESS> removed; the customer's spelling, capitals and pronouns are kept. A closing "?" or "!"
    is kept (once) when the quote runs to the end. None when nothing quotable remains (under two words).
    """
    return _quote(sentence, max_words)


# --------------------------------------------------------------------------------------------------------------
# Ownership: who caused it
# --------------------------------------------------------------------------------------------------------------


def _valid_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


Regex = Annotated[str, AfterValidator(_valid_regex)]

_DEFAULT_CAUSE_MARKERS = [
    r"\b(because( of)?|due to|caused by|thanks to|owing to|as a result of|on account of|blame( it on)?|"
    r"fault of|cos|cuz|coz|'?cause|since|after|from|by)$"
]


class OwnershipLexicon(BaseModel):
    """Patterns (case-insensitive regular expressions) for who caused what went wrong (frameworks/ownership.yaml).

    `company`: the company's own doing (a double charge, our app's bug, wrong information from an agent, an
    order we lost, a refund not processed); `external`: outside anyone's control here (weather, strikes,
    carriers, the customer's bank, a third-party seller, airports, a pandemic); `customer`: the customer's
    own doing (their device, a mistyped address, a forgotten password). `cause_markers` end the text just
    before a match when that match is the stated cause ("because of", "due to", "caused by").
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["ownership"] = "ownership"
    id: str
    description: str = ""
    company: list[Regex] = Field(default_factory=list)
    external: list[Regex] = Field(default_factory=list)
    customer: list[Regex] = Field(default_factory=list)
    cause_markers: list[Regex] = Field(
        default_factory=lambda: list(_DEFAULT_CAUSE_MARKERS),
        description="patterns matching the end of the text before a match that makes it the stated cause",
    )

    @property
    def key(self) -> tuple[tuple[str, ...], ...]:
        """The patterns as a hashable value. Compiled patterns and results are cached on this, not on the
        model: `model_copy(update=...)` (how the library merges a tenant's file into the built-in one) would
        carry a cached_property's stale value into the copy."""
        return (tuple(self.company), tuple(self.external), tuple(self.customer), tuple(self.cause_markers))


_CLASSES = ("company", "external", "customer")
_HAS_CAPITALS = re.compile(r"(?<!\\)[A-Z]")


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    # Matched against lower-cased text: without re.I, `re` can skip ahead by the patterns' first letters
    # (about four times faster). A pattern with capitals of its own ([A-Z]) keeps re.I.
    return tuple(re.compile(p, re.I if _HAS_CAPITALS.search(p) else 0) for p in patterns)


def load_ownership(path: Path | None = None) -> OwnershipLexicon:
    """The ownership lexicon at `path` (default: frameworks/ownership.yaml next to the app)."""
    path = path or DEFAULT_OWNERSHIP_PATH
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    return OwnershipLexicon.model_validate(raw)


@lru_cache(maxsize=1)
def _default_lexicon() -> OwnershipLexicon:
    return load_ownership()


_SKIPPABLE = _set(
    "i we was were got been have has had i've we've i'm am is are just also then now apparently still again "
    "already really literally obviously clearly seriously even actually honestly basically it's its it "
    "the my our your a an his her their this that some"
)
_CLAUSE_OPENERS = _set(
    "and but so because when then while although though since as if that which who plus cos cuz coz yet or now"
)


_NEGATED_BEFORE = re.compile(
    r"\b(?:not|n't|nothing to do with|never|no)(?: (?:because|due to|caused by|the|a|an|any|of|about|blame it on|"
    r"blame|by|from|my|our|your))*$"
)
_NEGATED_AFTER = re.compile(
    r"^[^.,;!?]{0,20}?\b(?:(?:has|had|have) nothing to do with|(?:is|was)(?:n't| not) (?:the )?(?:problem|issue|"
    r"reason|cause|fault|to blame))"
)


def _strength(text: str, match: re.Match[str], causes: tuple[re.Pattern[str], ...]) -> int:
    """2: the stated cause ("because of the storm", "the courier's fault"); 1: the subject of its clause
    ("the courier lost it", "you charged me"); 0: only mentioned ("I had to call my bank"); -1: denied
    ("it's not because of the weather", "the strike has nothing to do with it"). `text` is lower-cased."""
    start = match.start()
    before = text[max(0, start - 80) : start].rstrip()
    if _NEGATED_AFTER.search(text[match.end() : match.end() + 60]) or _NEGATED_BEFORE.search(before[-40:]):
        return -1
    if _CAUSE_IN_MATCH.search(match.group(0)):
        return 2
    words = before.split()
    while words and words[-1] in _DETERMINERS:
        words.pop()
    head = " ".join(words)
    if any(p.search(head) for p in causes):
        return 2
    while words and words[-1] in _SKIPPABLE:
        words.pop()
    if not words or words[-1][-1:] in ",.;:!?(—-" or words[-1] in _CLAUSE_OPENERS:
        return 1
    return 0


_FAULT_SENTENCES = re.compile(r"(?<=[.!?])\s+")


@lru_cache(maxsize=16_384)
def _sentence_faults(sentence: str, key: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, int, int], ...]:
    """(class, strength, start) of every pattern match in one lower-cased sentence that is not denied.
    Cached: the engine asks about the whole conversation so far on every turn."""
    causes = _compiled(key[3])
    found = []
    for name, patterns in zip(_CLASSES, key[:3], strict=True):
        for pattern in _compiled(patterns):
            for match in pattern.finditer(sentence):
                strength = _strength(sentence, match, causes)
                if strength >= 0:
                    found.append((name, strength, match.start()))
    return tuple(found)


def fault(text: str, lexicon: OwnershipLexicon | None = None) -> Fault:
    """Who caused what went wrong, from the customer's (or agent's) words.

    'company' (we billed twice, our app bug, the agent gave wrong info, the order we lost, not processed,
    system error), 'external' (storm, weather, strike, carrier/courier delays, the customer's bank, a
    third-party seller, airport, pandemic), 'customer' (their own device, they typed the wrong address, they
    forgot the password, they dropped the phone), 'unknown' otherwise. The idea renderer offers ownership
    language ("that's on us") only for 'company'.
    """
    key = (lexicon or _default_lexicon()).key
    best: dict[str, tuple[int, int, int]] = {}  # class -> (strength, -sentence, -start): strongest, then first
    for index, sentence in enumerate(_FAULT_SENTENCES.split(_normalise(text).lower())):
        for name, strength, start in _sentence_faults(sentence, key):
            score = (strength, -index, -start)
            if name not in best or score > best[name]:
                best[name] = score
    if not best:
        return "unknown"
    others = sorted((score, name) for name, score in best.items() if name != "company")
    if "company" not in best:
        return others[-1][1]  # type: ignore[return-value]
    if not others:
        return "company"
    # Several classes match. The company patterns are broad ("lost my parcel", "my internet is down"), so
    # an outside or customer cause wins only when it is the STATED cause: named after a cause marker
    # ("because of the storm", "due to the strike") or as the subject of the failure ("the courier lost
    # it", "I typed the wrong address"), and at least as strongly as the company match is stated (an
    # explicit "because you gave them the wrong address" keeps it ours); on a tie, the cause named first.
    # A cause merely mentioned ("you charged me twice and I had to call my bank") leaves it the company's.
    (strength, *position), name = others[-1]
    c_strength, *c_position = best["company"]
    if strength >= 1 and (strength > c_strength or (strength == c_strength and position > c_position)):
        return name  # type: ignore[return-value]
    return "company"


__all__ = [
    "DEFAULT_OWNERSHIP_PATH",
    "Fault",
    "OwnershipLexicon",
    "fault",
    "issue_clause",
    "load_ownership",
    "quote",
]
