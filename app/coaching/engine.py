"""The coaching engine: folds a conversation turn by turn into analyses and suggestions.

`add_turn` is the only way state changes, so feeding turns one by one and analysing the
finished conversation give the same result.  Model calls go through the classifier's and
encoder's caches; `analyze_many` fills them in bulk first, which is what makes batch
annotation fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from app.coaching.analysis import (
    AgentFlag,
    AgentSentence,
    AgentTurnAnalysis,
    Cue,
    CustomerTurnAnalysis,
    ScoredLabel,
    Span,
    Suggestion,
    Trajectory,
    TurnAnalysis,
)
from app.coaching.conversation import Conversation, Turn
from app.coaching.frameworks import CoachingLibrary, Phrase, PhraseLibrary, load_library
from app.coaching.learn import FEELING, FrameworkMatcher, IdeaRenderer, suggestion
from app.coaching.phrases import PhraseIndex
from app.coaching.templated import MacroMemory, TemplatedScorer
from app.coaching.text import (
    CustomerDetails,
    blank_placeholders,
    content_words,
    is_question,
    mostly_capitals,
    split_sentences,
    words,
)
from models.classifier import EmotionClassifier, EmotionPrediction
from models.embedder import SentenceEncoder

UPSET_STATES = frozenset({"frustration", "anger", "disappointment", "anxiety"})
ANSWER_MIN_WORDS = 5  # a statement this long, after a question, counts as an answer (Resolve)
STOCK_LIBRARY = 0.5  # library signal from which a sentence counts as a stock line of its category
NOT_ROBOTIC_CATEGORIES = frozenset({"greeting", "hold", "verification"})  # routine, not tone-deaf
ROBOTIC_CATEGORIES = frozenset({"stock_apology", "stock_empathy", "stock_thanks", "closing"})
UPSET_CUES = frozenset({"waiting", "repeat_story", "churn", "abuse", "escalation", "shouting", "complaint"})
STATE_CUE_MIN = 0.4
CUES_SENTIMENT = -0.5  # trajectory point, at most, for a turn whose calm model reading the cues overruled
REPEATED_QUESTION = 0.7  # cosine between two customer questions asking the same thing
RETOLD_STORY = 0.85
POLICY_MEANING = 0.65
COUNTER_MARGIN = 0.05  # by meaning, a sentence must be this much nearer a phrase than any counter-example
BULK = 16  # texts per model from which a warm-up runs the two models side by side
LEARN = ("listen", "empathize", "apologize", "resolve", "note")
_INSTRUCTION = re.compile(
    r"\b(try|restart|reinstall|reboot|clear (your|the)|log (out|in)|sign (out|in)|go to|click|tap|make sure|"
    r"check (your|that|if|the)|have you tried|follow (these|the) steps|steps below|update (your|the) app)\b",
    re.I,
)
_REQUEST = re.compile(
    r"\b(please (provide|confirm|share|send|give|tell|enter|type)|could you (please )?(give|tell|provide|confirm|"
    r"share|send|describe|explain)|can you (please )?(give|tell|provide|confirm|share|send|describe|explain)|"
    r"what('s| is) (your|the)|may I (have|know|get)|can I (have|get)|I('ll| will) need (your|the))\b",
    re.I,
)
_ASKS_FOR = {
    "orders": re.compile(r"\b(order|ticket|case|invoice|booking|reservation|reference)( number| no| id| #)?\b", re.I),
    "emails": re.compile(r"\be-?mail\b", re.I),
    "phones": re.compile(r"\b(phone|mobile|cell)( number)?\b", re.I),
    "dates": re.compile(r"\b(date|when did|what day)\b", re.I),
    "issue": re.compile(
        r"\b(describe|explain|tell me (more )?about) (the|your|what)( \w+)? ?(issue|problem|happened)", re.I
    ),
}
_STATUS = re.compile(
    r"\b(delay(ed|s)?|outage|still (investigating|working on|waiting|pending)|taking longer|(now )?estimated (for|at)|"
    r"behind schedule|update (on|about) your|service (disruption|interruption)|known issue)\b",
    re.I,
)
# Holding, greeting and thanking lines say nothing about the customer's question.
_ROUTINE = re.compile(
    r"^\W*(thanks|thank you|hi|hello|hey|sure|ok|okay|great|no problem|you're welcome|welcome)\b|"
    r"\b(still (looking|checking|working)|let me (check|look|see|pull)|one (moment|minute|sec)|bear with me|"
    r"please (hold|wait)|looking into (it|this|that)|pull(ing)? up your)\b",
    re.I,
)
_DATA = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")  # an email or a link typed as a reply
_SHOUT_WORD = re.compile(r"\b[A-Z]{3,}\b")
_KNOWN_ACRONYMS = frozenset({"USA", "USB", "ATM", "PDF", "URL", "API", "SMS", "ETA", "FAQ", "CEO", "VAT", "UPS", "DHL"})


@dataclass
class ConversationState:
    """Everything the engine remembers about one conversation between turns."""

    conversation_id: str
    tenant: str = "default"
    turns: list[Turn] = field(default_factory=list)
    analyses: list[TurnAnalysis] = field(default_factory=list)
    details: CustomerDetails = field(default_factory=CustomerDetails)
    customer_questions: list[tuple[int, np.ndarray]] = field(default_factory=list)
    customer_stories: list[tuple[int, np.ndarray]] = field(default_factory=list)
    customer_lengths: list[int] = field(default_factory=list)
    customer_words: list[set[str]] = field(default_factory=list)  # content words of each customer turn
    customer_text: str = ""
    agent_run: int = 0  # agent sentences since the customer last spoke
    status_missing: list[str] = field(default_factory=list)  # proactive-update parts the last status lacked
    last_customer: CustomerTurnAnalysis | None = None
    coverage: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(LEARN, False))
    # Steps done since the customer last showed a need for them (empathy is owed per upset).
    empathized_since_upset: bool = True
    listened_since_customer: bool = True  # the agent played back what the customer last said
    question_open: bool = False  # the customer asked something the agent has not answered yet
    problem_seen: bool = False  # something went wrong for them (an issue, an upset turn): L.E.A.R.N. applies
    apologized_since_upset: bool = True
    framework_steps: dict[str, set[str]] = field(default_factory=dict)
    sentiment_points: list[float] = field(default_factory=list)
    ideas: IdeaRenderer = field(default_factory=IdeaRenderer)
    abuse_open: bool = False
    transfer_open: bool = False

    def covered(self, framework_id: str, step_id: str) -> bool:
        return step_id in self.framework_steps.get(framework_id, set())


class CoachingEngine:
    """Analysers over one classifier, one sentence encoder and one framework library."""

    def __init__(
        self,
        classifier: EmotionClassifier,
        encoder: SentenceEncoder,
        library: CoachingLibrary | None = None,
        macros: MacroMemory | None = None,
    ) -> None:
        self.classifier = classifier
        self.encoder = encoder
        self.library = library or load_library()
        self.macros = macros or MacroMemory()
        self.matcher = FrameworkMatcher(self.library)
        self.canned = PhraseIndex(self.library, "templated", encoder.encode)
        self.policy = PhraseIndex(self.library, "policy_over_people", encoder.encode)
        self.templated = TemplatedScorer(self.canned)

    # -- public API -------------------------------------------------------------------------

    def new_state(self, conversation_id: str, tenant: str = "default") -> ConversationState:
        return ConversationState(conversation_id=conversation_id, tenant=tenant)

    def analyze(self, conversation: Conversation, tenant: str = "default") -> list[TurnAnalysis]:
        state = self.new_state(conversation.conversation_id, conversation.tenant or tenant)
        return [self.add_turn(state, turn) for turn in conversation.turns]

    def analyze_many(self, conversations: Sequence[Conversation], tenant: str = "default") -> list[list[TurnAnalysis]]:
        """Analyse many conversations with one bulk model call per kind (cache warm-up)."""
        self.warm(conversations)
        return [self.analyze(c, tenant) for c in conversations]

    def warm(self, conversations: Iterable[Conversation]) -> None:
        """Fill the model caches for `conversations` (see `warm_turns`)."""
        self.warm_turns([turn for conversation in conversations for turn in conversation.turns])

    def warm_turns(self, turns: Sequence[Turn]) -> None:
        """Fill the model caches with one bulk call per model, asking for exactly the texts
        `add_turn` will ask for these turns."""
        customer, sentences = [t.text for t in turns if t.role == "customer"], encoder_texts(turns)
        if min(len(customer), len(sentences)) < BULK:  # a live turn or two: not worth a thread
            self.classifier.predict(customer)
            self.encoder.encode(sentences)
            return
        with ThreadPoolExecutor(1) as side:  # the two models side by side: each leaves cores idle
            classified = side.submit(self.classifier.predict, customer)
            self.encoder.encode(sentences)
            classified.result()

    def learn_macros(self, conversations: Iterable[Conversation], tenant: str = "default") -> int:
        """Feed past traffic to the macro memory without analysing it; returns sentences added.

        One bulk encoder call for every agent sentence (one call per conversation ran the
        encoder on many small batches: most of `coach annotate`'s time went there)."""
        per_conversation: list[tuple[Conversation, list[str]]] = []
        for conversation in conversations:
            agent = [s.text for t in conversation.turns if t.role == "agent" for s in split_sentences(t.text)]
            if agent:
                per_conversation.append((conversation, agent))
        vectors = self.encoder.encode([text for _, agent in per_conversation for text in agent])
        start = 0
        for conversation, agent in per_conversation:
            tenant_id = conversation.tenant or tenant
            self.macros.add(tenant_id, conversation.conversation_id, agent, vectors[start : start + len(agent)])
            start += len(agent)
        return start

    def add_turn(self, state: ConversationState, turn: Turn, *, learn_macros: bool = True) -> TurnAnalysis:
        """Analyse `turn` in the light of the conversation so far, and remember it.

        `learn_macros=False` keeps agent sentences out of the macro memory (drafts, replays).
        """
        index = len(state.turns)
        state.turns.append(turn)
        customer = agent = None
        if turn.role == "customer":
            customer = self._customer_turn(state, index, turn)
        elif turn.role == "agent":
            agent = self._agent_turn(state, turn, learn_macros)
        analysis = TurnAnalysis(
            index=index,
            role=turn.role,
            customer=customer,
            agent=agent,
            learn_coverage=dict(state.coverage),
            suggestions=self._suggest(state),
            trajectory=trajectory(state.sentiment_points),
        )
        state.analyses.append(analysis)
        return analysis

    def handoff(self, state: ConversationState) -> dict:
        """Warm-transfer summary: what the customer said, what was tried, how they feel."""
        customer_turns = [t.text for t in state.turns if t.role == "customer"]
        tried = [
            s.text
            for t in state.turns
            if t.role == "agent"
            for s in split_sentences(t.text)
            if "resolve" in self.matcher.covered("learn", [s.text])
        ]
        cues = sorted({c.kind for a in state.analyses if a.customer for c in a.customer.cues})
        return {
            "conversation_id": state.conversation_id,
            "customer_said": customer_turns[-3:],
            "issue": state.details.issue,
            "details": {k: v for k, v in state.details.slots().items() if k not in {"issue", "quote"}},
            "what_was_tried": tried,
            "customer_state": state.last_customer.state.label if state.last_customer else None,
            "cues_seen": cues,
            "trajectory": trajectory(state.sentiment_points).model_dump(),
            "learn_coverage": dict(state.coverage),
        }

    # -- customer side ----------------------------------------------------------------------

    def _customer_turn(self, state: ConversationState, index: int, turn: Turn) -> CustomerTurnAnalysis:
        text = turn.text
        prediction = self.classifier.predict([text])[0]
        sentences = split_sentences(text)
        encoded = _customer_encoded(sentences, text)
        vectors = self.encoder.encode([s.text for s in encoded])
        questions = [(span, vector) for span, vector in zip(encoded, vectors, strict=True) if is_question(span.text)]
        story = _story_vector(vectors) if _is_story(text) else None  # then `encoded` is every sentence
        from_words = word_cues(self.library, text)
        customer_state, sentiment_label = support_state(self.library, prediction, from_words)
        cues = self._state_cue(customer_state, prediction, text) + from_words
        cues += self._short_answer(state, text, prediction)
        cues += self._repeats(state, sentences, questions, story)

        n_words = len(words(text))
        state.customer_lengths.append(n_words)
        state.customer_words.append(content_words(text))
        state.customer_questions.extend((index, vector) for _, vector in questions)
        if story is not None:
            state.customer_stories.append((index, story))
        state.customer_text += "\n" + text
        state.agent_run = 0
        state.listened_since_customer = False
        state.details.update(text)
        sentiment = prediction.sentiment.scores
        point = round(sentiment["positive"] - sentiment["negative"], 4)
        if sentiment_label.source == "cues":  # the model's calm reading was overruled
            point = min(point, CUES_SENTIMENT)
        state.sentiment_points.append(point)
        analysis = CustomerTurnAnalysis(
            state=customer_state, sentiment=sentiment_label, emotions=prediction.labels, cues=cues
        )
        kinds = {c.kind for c in cues}
        state.question_open = state.question_open or any(is_question(s.text) for s in sentences)
        upset = (customer_state.label in UPSET_STATES and customer_state.label in kinds) or bool(kinds & UPSET_CUES)
        state.problem_seen = state.problem_seen or upset or state.details.issue is not None
        if upset:
            state.empathized_since_upset = False
            if customer_state.label != "anxiety" or kinds & {"waiting", "repeat_story"}:
                state.apologized_since_upset = False
        state.abuse_open = state.abuse_open or "abuse" in kinds
        state.transfer_open = state.transfer_open or "escalation" in kinds
        state.last_customer = analysis
        return analysis

    @staticmethod
    def _state_cue(customer_state: ScoredLabel, prediction: EmotionPrediction, text: str) -> list[Cue]:
        label = customer_state.label
        unsure = customer_state.source == "model" and customer_state.score < STATE_CUE_MIN
        if label in {"neutral", "satisfied"} or unsure:
            return []
        emotions = prediction.emotions
        if label == "confusion" and emotions.get("curiosity", 0.0) > emotions.get("confusion", 0.0):
            return []  # the state groups curiosity with confusion: this is a question asked, not confusion
        severity = "alert" if label == "anger" else "warn" if label in UPSET_STATES else "info"
        if customer_state.source == "cues":
            reason = f"customer's words: {customer_state.reason}"
        else:
            top = ", ".join(prediction.labels[:3]) or "none over threshold"
            reason = f"emotion model: {label} {customer_state.score:.2f} (emotions: {top})"
        return [Cue(kind=label, span=Span(start=0, end=len(text), text=text), severity=severity, reason=reason)]

    @staticmethod
    def _short_answer(state: ConversationState, text: str, prediction: EmotionPrediction) -> list[Cue]:
        n = len(words(text))
        if n == 0 or n > 3 or not state.customer_lengths or prediction.sentiment.label == "positive":
            return []
        if not any(w.isalpha() for w in words(_DATA.sub(" ", blank_placeholders(text)))):
            return []  # an email, a number, an order id: data the agent asked for, not disengagement
        earlier = max(state.customer_lengths[-3:])
        if earlier < 12:
            return []
        return [
            Cue(
                kind="short_answer",
                span=Span(start=0, end=len(text), text=text),
                severity="info",
                reason=f"{n}-word reply after a {earlier}-word message: engagement dropping",
            )
        ]

    @staticmethod
    def _repeats(
        state: ConversationState,
        sentences: list[Span],
        questions: list[tuple[Span, np.ndarray]],
        story: np.ndarray | None,
    ) -> list[Cue]:
        """`questions`: the turn's question sentences and their vectors; `story`: the turn's
        meaning when it is long enough to be a story (see `_is_story`)."""
        cues: list[Cue] = []
        for span, vector in questions:
            if state.customer_questions:
                sims = [(float(vector @ v), i) for i, v in state.customer_questions]
                best, earlier = max(sims)
                if best >= REPEATED_QUESTION:
                    cues.append(
                        Cue(
                            kind="repeated_question",
                            span=span,
                            severity="warn",
                            reason=f"asks again what they asked in turn {earlier} (similarity {best:.2f})",
                        )
                    )
                    break
        if story is not None and state.customer_stories:
            best, earlier = max((float(story @ v), i) for i, v in state.customer_stories)
            if best >= RETOLD_STORY:
                text = " ".join(s.text for s in sentences)
                cues.append(
                    Cue(
                        kind="repeat_story",
                        span=Span(start=0, end=len(text), text=text),
                        severity="warn",
                        reason=f"retells what they wrote in turn {earlier} (similarity {best:.2f})",
                    )
                )
        return cues

    # -- agent side -------------------------------------------------------------------------

    def _agent_turn(self, state: ConversationState, turn: Turn, learn_macros: bool = True) -> AgentTurnAnalysis:
        text = turn.text
        spans = split_sentences(text) or [_whole(text)]
        vectors = self.encoder.encode([s.text for s in spans])
        nearest_canned = self.canned.nearest(vectors)
        nearest_policy = self.policy.nearest(vectors)
        policy_counters = self.policy.nearest_counter(vectors)
        others = self.macros.other_conversations(state.tenant, state.conversation_id, vectors)
        recent_customer = self._recent_customer_words(state)
        upset = not state.empathized_since_upset  # an upset customer turn not yet acknowledged
        feeling = _feeling(state)
        personal = bool(content_words(text) & recent_customer) or any(
            d in text for d in state.details.orders + state.details.dates
        )
        sentences: list[AgentSentence] = []
        flags: list[AgentFlag] = []
        for i, span in enumerate(spans):
            compliant = any(p.search(span.text) for p in self.library.compliance_patterns)
            state.agent_run += 1
            similarity, canned = nearest_canned[i]
            category = canned[1].category if canned else None
            score = self.templated.score(span.text, similarity, others[i], recent_customer, state.agent_run)
            if compliant:  # required disclosures are said verbatim on purpose
                sentences.append(
                    AgentSentence(span=span, templated=score.model_copy(update={"flag": False}), compliance=True)
                )
                continue
            sentences.append(AgentSentence(span=span, templated=score))
            # Stock = the sentence itself reads like a stock line (not merely its nearest one,
            # at any distance, being a stock apology: a long, concrete sentence is "canned" by
            # form alone and must not be called robotic for it).
            library = score.signals["library"]
            stock = library >= STOCK_LIBRARY and category in ROBOTIC_CATEGORIES
            stock = stock or (library >= 0.8 and category not in NOT_ROBOTIC_CATEGORIES)
            if score.flag and upset and not personal and stock:
                what = (category or "stock phrasing").replace("_", " ")
                flags.append(
                    AgentFlag(
                        kind="robotic",
                        span=span,
                        reason=f"{what} to a customer who is {feeling}, with nothing about what they said",
                        better_move="Say what happened to them and what you'll do, in your own words.",
                    )
                )
            policy = self._policy(span.text, nearest_policy[i], float(policy_counters[i]))
            if policy:
                reason, library = policy
                flags.append(
                    AgentFlag(kind="policy_over_people", span=span, reason=reason, better_move=library.better_move)
                )
            asked = self._repeat_ask(state, span.text)
            if asked:
                flags.append(
                    AgentFlag(
                        kind="repeat_ask",
                        span=span,
                        reason=asked,
                        better_move="Use what they already gave you; confirm it instead of asking again.",
                    )
                )
        said = [s.span.text for s in sentences if not s.compliance]
        learn_steps = self.matcher.covered("learn", said)
        answered = state.question_open and any(_answers(s) for s in sentences)
        if answered and "resolve" not in learn_steps:
            learn_steps = [step for step in LEARN if step in learn_steps or step == "resolve"]
        if "resolve" in learn_steps:
            state.question_open = False
        if upset and not {"empathize", "apologize"} & set(learn_steps):
            instruction = next((s.span for s in sentences if _INSTRUCTION.search(s.span.text)), None)
            if instruction is not None:
                flags.append(
                    AgentFlag(
                        kind="solution_before_empathy",
                        span=instruction,
                        reason=f"troubleshooting a customer who is {feeling}, with no acknowledgement yet",
                        better_move="First one sentence that names their frustration and its impact, then the steps.",
                    )
                )
        flags += self._jargon(state, text)
        self._update_coverage(state, learn_steps, said)
        if _STATUS.search(text):  # a status update: check it against the proactive-update formula
            done = set(self.matcher.covered("proactive_update", said))
            framework = self.library.frameworks.get("proactive_update")
            state.status_missing = [s.id for s in framework.steps if s.id not in done] if framework else []
        else:
            state.status_missing = []
        if learn_macros:
            self.macros.add(state.tenant, state.conversation_id, [s.text for s in spans], vectors)
        return AgentTurnAnalysis(sentences=sentences, flags=flags, learn_steps=learn_steps)

    @staticmethod
    def _recent_customer_words(state: ConversationState) -> set[str]:
        """Content words of the last two customer turns."""
        return set().union(*state.customer_words[-2:])

    def _policy(
        self, sentence: str, nearest: tuple[float, tuple[PhraseLibrary, Phrase] | None], counter: float
    ) -> tuple[str, PhraseLibrary] | None:
        """Why the sentence hides behind policy (by pattern, else by meaning), and its library.

        `counter`: the sentence's best cosine to a counter-example ("Let me see what I can do"
        sits near "There's nothing I can do" for a sentence encoder that reads topic more than
        negation)."""
        matched = self.policy.pattern(sentence)
        if matched:
            library, match = matched
            return f'{library.reason} ("{match.group(0)}")', library
        similarity, entry = nearest
        if entry is not None and similarity >= POLICY_MEANING and similarity >= counter + COUNTER_MARGIN:
            library, phrase = entry
            return f'{library.reason} (reads like "{phrase.text}", similarity {similarity:.2f})', library
        return None

    @staticmethod
    def _repeat_ask(state: ConversationState, sentence: str) -> str | None:
        if not (_REQUEST.search(sentence) or sentence.rstrip().endswith("?")):
            return None
        for slot, pattern in _ASKS_FOR.items():
            if not pattern.search(sentence):
                continue
            known = state.details.issue if slot == "issue" else getattr(state.details, slot)
            if known:
                value = known if isinstance(known, str) else known[-1]
                return f'the customer already gave their {slot.rstrip("s")}: "{value}"'
        return None

    def _jargon(self, state: ConversationState, text: str) -> list[AgentFlag]:
        flags = []
        for pattern, plain in self.library.jargon_terms:
            match = pattern.search(text)
            if match and not pattern.search(state.customer_text):
                flags.append(
                    AgentFlag(
                        kind="jargon",
                        span=Span(start=match.start(), end=match.end(), text=match.group(0)),
                        reason=f'"{match.group(0)}" is jargon the customer hasn\'t used',
                        better_move=f"Say it plainly: {plain}.",
                    )
                )
        return flags

    def _update_coverage(self, state: ConversationState, learn_steps: list[str], sentences: list[str]) -> None:
        for step in learn_steps:
            state.coverage[step] = True
        if "empathize" in learn_steps or "apologize" in learn_steps:
            state.empathized_since_upset = True
        if "apologize" in learn_steps:
            state.apologized_since_upset = True
        if "listen" in learn_steps:
            state.listened_since_customer = True
        for framework_id in self.library.frameworks:
            covered = self.matcher.covered(framework_id, sentences)
            if covered:
                state.framework_steps.setdefault(framework_id, set()).update(covered)
        if state.covered("de_escalation", "set_boundary"):
            state.abuse_open = False
        if state.covered("warm_transfer", "summary"):
            state.transfer_open = False

    # -- suggestions ------------------------------------------------------------------------

    def _suggest(self, state: ConversationState, limit: int = 2) -> list[Suggestion]:
        last = state.last_customer
        slots = state.details.slots()
        slots["feeling"] = _feeling(state)
        lib = self.library
        out: list[Suggestion] = []

        def add(framework_id: str, step_id: str, why: str) -> None:
            # One card per move: a status update's missing apology and L.E.A.R.N.'s are the same ask.
            if framework_id in lib.frameworks and len(out) < limit and all(s.step != step_id for s in out):
                out.append(suggestion(lib.framework(framework_id), step_id, why, state.ideas, slots))

        if state.status_missing:  # proactive updates go out before the customer says a word
            names = ", ".join(m.replace("_", " ") for m in state.status_missing)
            add("proactive_update", state.status_missing[0], f"the last status update has no {names}")
        if last is not None:
            self._customer_moves(state, last, add)
        state.ideas.keep_only({(s.framework, s.step) for s in out})  # a card no longer shown loses its ideas
        return out

    @staticmethod
    def _customer_moves(
        state: ConversationState, last: CustomerTurnAnalysis, add: Callable[[str, str, str], None]
    ) -> None:
        """The moves the customer's last turn and the conversation so far call for, most urgent first."""
        kinds = {c.kind: c for c in last.cues}
        label, read = last.state.label, last.state.describe()
        if state.abuse_open:
            step = (
                "acknowledge_emotion"
                if not state.covered("de_escalation", "acknowledge_emotion")
                else ("set_boundary" if not state.covered("de_escalation", "set_boundary") else "disengage")
            )
            add("de_escalation", step, _why(kinds.get("abuse"), "abusive language earlier in the chat"))
        if state.transfer_open:
            add(
                "warm_transfer",
                "summary" if state.covered("warm_transfer", "tell_the_customer") else "tell_the_customer",
                _why(kinds.get("escalation"), "the customer asked for someone else"),
            )
        if not state.empathized_since_upset:
            add(
                "learn",
                "empathize",
                f"customer is {FEELING.get(label, 'upset')} ({read})"
                if label in UPSET_STATES
                else _why(next(iter(kinds.values()), None), "customer is upset"),
            )
        if not state.apologized_since_upset:
            add(
                "learn",
                "apologize",
                _why(
                    kinds.get("waiting") or kinds.get("repeat_story"),
                    f"something went wrong for them ({read})",
                ),
            )
        unsure = {"repeat_story", "repeated_question", "confusion"} & set(kinds)  # confusion: a confident state cue
        if unsure and not state.listened_since_customer:
            cue = kinds.get("repeat_story") or kinds.get("repeated_question")
            add("learn", "listen", _why(cue, f"customer seems unsure ({read})"))
        satisfied = label == "satisfied" and last.state.score >= STATE_CUE_MIN
        if state.question_open and not satisfied:
            add("learn", "resolve", "their question is not answered yet: answer it with specifics")
        if not state.problem_seen:  # a question, not a problem: no fix to note or follow up
            return
        if not state.coverage["resolve"]:
            if not satisfied:  # a thanked-and-done customer needs no "offer an action" prompt
                add("learn", "resolve", "no concrete action, option or timeline offered yet")
        elif not state.coverage["note"]:
            add("learn", "note", "a fix is on the table: document it and say when you'll follow up")
        elif not state.covered("closing_loop", "follow_up"):
            add("closing_loop", "follow_up", "resolved and noted: close the loop in 24–48 h")


def word_cues(library: CoachingLibrary, text: str) -> list[Cue]:
    """The customer cues read from the words alone (no model): the lexicon's, and shouting."""
    return lexicon_cues(library, text) + shouting(text)


_CUE_REASONS = {  # reason and severity of each lexicon cue (a tenant's own cue kind: its name, "warn")
    "escalation": ("asks for a manager or escalation", "alert"),
    "churn": ("threatens to cancel or leave", "alert"),
    "repeat_story": ("says they already explained this", "warn"),
    "waiting": ("complains about waiting or repeat contact", "warn"),
    "abuse": ("abusive language", "alert"),
    "complaint": ("complains that something went wrong", "warn"),
}


def lexicon_cues(library: CoachingLibrary, text: str) -> list[Cue]:
    cues = []
    for kind, patterns in library.cue_patterns.items():
        match = next((m for p in patterns if (m := p.search(text))), None)
        if match:
            reason, severity = _CUE_REASONS.get(kind, (kind, "warn"))
            cues.append(
                Cue(
                    kind=kind,
                    span=Span(start=match.start(), end=match.end(), text=match.group(0)),
                    reason=reason,
                    severity=severity,
                )
            )
    return cues


def shouting(text: str) -> list[Cue]:
    words_only = blank_placeholders(text)  # "#PHONENUMBER#" or "<CREDIT_CARD>" is nobody shouting
    caps = [m for m in _SHOUT_WORD.finditer(words_only) if m.group(0) not in _KNOWN_ACRONYMS]
    bangs = re.search(r"[!?]*![!?]*!+[!?]*", text)
    if len(caps) >= 3 or mostly_capitals(words_only, min_letters=12):
        span = (
            Span(start=caps[0].start(), end=caps[-1].end(), text=text[caps[0].start() : caps[-1].end()])
            if caps
            else Span(start=0, end=len(text), text=text)
        )
        return [Cue(kind="shouting", span=span, reason="writing in capitals", severity="warn")]
    if bangs:
        return [
            Cue(
                kind="shouting",
                span=Span(start=bangs.start(), end=bangs.end(), text=bangs.group(0)),
                reason="repeated exclamation marks",
                severity="info",
            )
        ]
    return []


def support_state(
    library: CoachingLibrary, prediction: EmotionPrediction, word_cues: list[Cue]
) -> tuple[ScoredLabel, ScoredLabel]:
    """The customer's state and sentiment: the model's, unless it reads the turn as calm
    (not upset, or unsure) while the customer's words say otherwise; then the state the
    cues imply (frameworks/cues.yaml `implies`), anger when they also abuse or shout."""
    model_state = ScoredLabel(**prediction.customer_state.to_dict())
    model_sentiment = ScoredLabel(**prediction.sentiment.to_dict())
    if model_state.label in UPSET_STATES and model_state.score >= STATE_CUE_MIN:
        return model_state, model_sentiment
    implied = {c.kind: library.cue_states[c.kind] for c in word_cues if c.kind in library.cue_states}
    if not implied:
        return model_state, model_sentiment
    kinds = {c.kind for c in word_cues}
    label = "anger" if "anger" in implied.values() or "shouting" in kinds else next(iter(implied.values()))
    reason = f"{', '.join(sorted(kinds))}; the model read {model_state.describe()}"
    return (
        model_state.model_copy(update={"label": label, "source": "cues", "reason": reason}),
        model_sentiment.model_copy(update={"label": "negative", "source": "cues", "reason": reason}),
    )


def encoder_texts(turns: Iterable[Turn]) -> list[str]:
    """The sentences `add_turn` will encode for these turns (for bulk cache warm-ups)."""
    texts: list[str] = []
    for turn in turns:
        if turn.role == "customer":
            texts.extend(s.text for s in _customer_encoded(split_sentences(turn.text), turn.text))
        elif turn.role == "agent":
            texts.extend(s.text for s in split_sentences(turn.text) or [_whole(turn.text)])
    return texts


def _is_story(text: str) -> bool:
    """Long enough to be the customer telling their story (12+ words)."""
    return len(words(text)) >= 12


def _customer_encoded(sentences: list[Span], text: str) -> list[Span]:
    """The customer sentences whose meaning a check uses: every sentence of a story (its
    vector is their mean), else only the questions (repeated-question check).  The rest of a
    short turn is never compared, so it is not encoded."""
    return sentences if _is_story(text) else [s for s in sentences if is_question(s.text)]


def _answers(sentence: AgentSentence) -> bool:
    """An agent sentence that answers a question: a statement of some length, not a question
    back, a required disclosure or a routine/stock line ("Let me check", "Thanks for waiting")."""
    text = sentence.span.text
    if sentence.compliance or "?" in text or len(words(text)) < ANSWER_MIN_WORDS or _ROUTINE.search(text):
        return False
    return sentence.templated.signals.get("library", 0.0) < STOCK_LIBRARY


def _whole(text: str) -> Span:
    """An agent turn with no sentence found (whitespace only) is scored as one span."""
    return Span(start=0, end=len(text), text=text)


def _story_vector(sentence_vectors: np.ndarray) -> np.ndarray:
    """A turn's meaning as the normalised mean of its sentences (no second encoder pass)."""
    mean = sentence_vectors.mean(0)
    return mean / (np.linalg.norm(mean) or 1.0)


def _feeling(state: ConversationState) -> str:
    label = state.last_customer.state.label if state.last_customer else "neutral"
    return FEELING[label] if label in UPSET_STATES else "upset"


def _why(cue: Cue | None, fallback: str) -> str:
    return f'{cue.reason}: "{cue.span.text}"' if cue else fallback


def trajectory(points: list[float], recency: float = 0.6) -> Trajectory:
    """Start vs now, where `now` is an exponentially weighted mean favouring recent turns."""
    if not points:
        return Trajectory()
    start = points[0]
    weights = np.array([recency ** (len(points) - 1 - i) for i in range(len(points))])
    now = float(np.dot(weights, points) / weights.sum())
    delta = now - start
    trend = "improving" if delta > 0.2 else "worsening" if delta < -0.2 else "steady"
    return Trajectory(start=round(start, 4), now=round(now, 4), trend=trend, points=points)
