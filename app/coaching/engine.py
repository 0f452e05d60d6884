"""The coaching engine: folds a conversation turn by turn into analyses and cards.

Per turn: one context (sentences, one encoder pass, the emotion prediction or the agent moves,
the customer's details), the detectors of that role in order over it, the ledger of what the
customer is owed updated (`obligations`), and the cards the open obligations call for
(`policy`). `add_turn` is the only way state changes, so feeding turns one by one and analysing
the finished conversation give the same result. Model calls go through the classifier's and
encoder's caches; `analyze_many` fills them in bulk first, which is what makes batch
annotation fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from app.coaching import obligations, policy
from app.coaching.analysis import (
    AgentFlag,
    AgentSentence,
    AgentTurnAnalysis,
    Cue,
    CustomerTurnAnalysis,
    Span,
    Trajectory,
    TurnAnalysis,
)
from app.coaching.context import TurnContext
from app.coaching.conversation import Conversation, Turn
from app.coaching.detectors import Detector, default_pipeline
from app.coaching.frameworks import CoachingLibrary, load_library
from app.coaching.learn import FrameworkMatcher
from app.coaching.moves import NO_MOVES, MoveReading, SentenceClassifier
from app.coaching.phrases import PhraseIndex
from app.coaching.phrasing import OwnershipLexicon, fault
from app.coaching.state import LEARN, ConversationState
from app.coaching.templated import MacroMemory
from app.coaching.text import split_sentences
from app.coaching.upset import UPSET_STATES
from models.classifier import EmotionClassifier
from models.embedder import SentenceEncoder

__all__ = ["UPSET_STATES", "CoachingEngine", "ConversationState", "trajectory"]

BULK = 16  # texts per model from which a warm-up runs the two models side by side
PATTERN_CONFIRMS = 0.05  # the least probability of a move that a step's pattern can confirm
CUES_SENTIMENT = -0.5  # trajectory point, at most, for a turn whose calm model reading the cues overruled


class CoachingEngine:
    """An ordered pipeline of detectors over one classifier, one sentence encoder, one agent-move
    classifier and one framework library (built once: `app.coaching.wiring.build_coach`)."""

    def __init__(
        self,
        classifier: EmotionClassifier,
        encoder: SentenceEncoder,
        library: CoachingLibrary | None = None,
        macros: MacroMemory | None = None,
        *,
        moves: SentenceClassifier | None = None,
        detectors: Sequence[Detector] | None = None,
        ownership: OwnershipLexicon | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """`cache_dir`: where the heads trained from the library's examples are remembered."""
        self.classifier = classifier
        self.encoder = encoder
        self.library = library or load_library()
        self.macros = macros or MacroMemory()
        self.moves = moves or SentenceClassifier.train_cached(
            self.library.move_examples, encoder.encode, cache_dir=cache_dir
        )
        self.matcher = FrameworkMatcher(self.library)
        self.canned = PhraseIndex(self.library, "templated", encoder.encode)
        self.ownership = ownership or self.library.ownership_lexicon
        self.detectors = list(
            detectors
            if detectors is not None
            else default_pipeline(
                self.library, encoder.encode, self.canned, self.macros, cache_dir, embed_turns=self._embed_turns
            )
        )
        self.needs = {
            role: set().union(*(d.needs for d in self.detectors if d.role == role)) for role in ("customer", "agent")
        }

    def _embed_turns(self, texts: Sequence[str], previous: Sequence[str | None]) -> np.ndarray:
        """The emotion model's embedding of each customer turn beside the agent turn before it."""
        return np.stack([p.embedding for p in self.classifier.predict(texts, contexts=previous)])

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
        turns: list[Turn] = []
        contexts: list[str | None] = []
        for conversation in conversations:
            turns += conversation.turns
            contexts += previous_agent_texts(conversation.turns)
        self.warm_turns(turns, contexts)

    def warm_turns(self, turns: Sequence[Turn], contexts: Sequence[str | None] | None = None) -> None:
        """Fill the model caches with one bulk call per model, asking for exactly what `add_turn`
        will ask for these turns. `contexts[i]`: the agent's turn before `turns[i]` (the emotion
        model reads it beside a customer turn); by default, read off `turns` as one conversation."""
        contexts = previous_agent_texts(turns) if contexts is None else contexts
        customer = [(t.text, c) for t, c in zip(turns, contexts, strict=True) if t.role == "customer"]
        texts, previous = [text for text, _ in customer], [c for _, c in customer]
        sentences = encoder_texts(turns)
        if min(len(customer), len(sentences)) < BULK:  # a live turn or two: not worth a thread
            self.classifier.predict(texts, contexts=previous)
            self.encoder.encode(sentences)
            return
        with ThreadPoolExecutor(1) as side:  # the two models side by side: each leaves cores idle
            classified = side.submit(self.classifier.predict, texts, contexts=previous)
            self.encoder.encode(sentences)
            classified.result()

    def learn_macros(self, conversations: Iterable[Conversation], tenant: str = "default") -> int:
        """Feed past traffic to the macro memory without analysing it; returns sentences added.
        One bulk encoder call for every agent sentence."""
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
        context = self.context(state, index, turn)
        for detector in self.detectors:
            if detector.role == turn.role:
                for found in detector.run(context, state):
                    _collect(context, found)
                    if isinstance(found, Cue) and not getattr(detector, "opens_obligations", True):
                        context.shown_only.append(found)
        customer = agent = None
        if turn.role == "customer":
            customer = self._after_customer(context, state)
        elif turn.role == "agent":
            agent = self._after_agent(context, state, learn_macros)
        conditions = {"company_fault"} if state.fault == "company" else set()
        if not state.details.explained:
            conditions.add("unexplained")
        analysis = TurnAnalysis(
            index=index,
            role=turn.role,
            customer=customer,
            agent=agent,
            learn_coverage=dict(state.coverage),
            suggestions=policy.cards(state, self.library, conditions),
            trajectory=trajectory(state.sentiment_points),
        )
        state.analyses.append(analysis)
        return analysis

    def context(self, state: ConversationState, index: int, turn: Turn) -> TurnContext:
        """Everything the detectors of this turn's role need, computed once."""
        sentences = split_sentences(turn.text) or [_whole(turn.text)]
        needs = self.needs.get(turn.role, set())
        encode = bool(needs & {"vectors", "moves"})
        vectors = self.encoder.encode([s.text for s in sentences]) if encode else np.zeros((len(sentences), 0))
        context = TurnContext(index=index, turn=turn, sentences=sentences, vectors=vectors, details=state.details)
        if turn.role == "customer":
            previous = previous_agent_text(state.turns[:index])
            context.prediction = self.classifier.predict([turn.text], contexts=[previous])[0]
            state.details.update(turn.text)
        elif turn.role == "agent":
            context.moves = self.moves.read(vectors) if "moves" in needs else [NO_MOVES] * len(sentences)
            context.compliance = [any(p.search(s.text) for p in self.library.compliance_patterns) for s in sentences]
        return context

    def handoff(self, state: ConversationState) -> dict:
        """Warm-transfer summary: what the customer said, what was tried, how they feel."""
        customer_turns = [t.text for t in state.turns if t.role == "customer"]
        tried = [
            s.span.text
            for a in state.analyses
            if a.agent
            for s in a.agent.sentences
            if {"action", "timeline"} & set(s.moves)
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
            "owed": [owed.kind for owed in state.ledger.open.values()],
        }

    # -- after the detectors ----------------------------------------------------------------

    def _after_customer(self, context: TurnContext, state: ConversationState) -> CustomerTurnAnalysis:
        assert context.prediction is not None and context.state is not None and context.sentiment is not None
        state.customer_text += "\n" + context.text
        # Who caused what went wrong, from all they have said (their words only: read once per turn).
        state.fault = fault(state.customer_text, self.ownership)
        obligations.customer_turn(context, state, self.library, state.fault)
        scores = context.prediction.sentiment.scores
        point = round(scores["positive"] - scores["negative"], 4)
        if context.sentiment.source == "cues":  # the model's calm reading was overruled
            point = min(point, CUES_SENTIMENT)
        state.sentiment_points.append(point)
        analysis = CustomerTurnAnalysis(
            state=context.state,
            sentiment=context.sentiment,
            emotions=context.prediction.labels,
            cues=context.cues,
            upset=state.upset,
            upset_probability=context.prediction.upset.probability,
        )
        state.last_customer = analysis
        return analysis

    def _after_agent(self, context: TurnContext, state: ConversationState, learn_macros: bool) -> AgentTurnAnalysis:
        robotic = {f.span.start for f in context.flags if f.kind == "robotic"}
        for i, span in enumerate(context.sentences):
            if not (context.compliance[i] or span.start in robotic):
                context.moves[i] = self._confirmed(span.text, context.moves[i])
        obligations.agent_turn(context, state)
        said = [
            (span.text, reading.moves)
            for span, reading, disclosure in zip(context.sentences, context.moves, context.compliance, strict=True)
            if not disclosure
        ]
        learn_steps = self.matcher.covered("learn", said)
        if state.ledger.settled.get("answer") == context.index and "resolve" not in learn_steps:
            learn_steps = [step for step in LEARN if step in learn_steps or step == "resolve"]
        for step in learn_steps:
            state.coverage[step] = True
        for framework_id in self.library.frameworks:
            covered = self.matcher.covered(framework_id, said)
            if covered:
                state.framework_steps.setdefault(framework_id, set()).update(covered)
        if learn_macros:
            self.macros.add(state.tenant, state.conversation_id, [s.text for s in context.sentences], context.vectors)
        sentences = [
            AgentSentence(span=span, templated=score, compliance=disclosure, moves=list(reading.moves))
            for span, score, disclosure, reading in zip(
                context.sentences, context.templated, context.compliance, context.moves, strict=True
            )
        ]
        return AgentTurnAnalysis(sentences=sentences, flags=context.flags, learn_steps=learn_steps)

    def _confirmed(self, sentence: str, reading: MoveReading) -> MoveReading:
        """The reading with the moves a step's exact wording confirms (`FrameworkMatcher.confirmed_moves`)."""
        confirmed = self.matcher.confirmed_moves(sentence, reading.scores, PATTERN_CONFIRMS) - set(reading.moves)
        if not confirmed:
            return reading
        return MoveReading(moves=(*reading.moves, *sorted(confirmed)), scores=reading.scores)


def _collect(context: TurnContext, found: Cue | AgentFlag) -> None:
    """Add a detector's finding to the context (one flag of a kind per sentence)."""
    if isinstance(found, Cue):
        context.cues.append(found)
    elif not any(f.kind == found.kind and f.span.start == found.span.start for f in context.flags):
        context.flags.append(found)


def previous_agent_text(turns: Sequence[Turn]) -> str | None:
    """The agent's last turn in `turns` (what a customer's next turn answers), if any."""
    return next((t.text for t in reversed(turns) if t.role == "agent"), None)


def question_before(turns: Sequence[Turn], index: int) -> str | None:
    """The agent turn right before a customer's turn at `index` (what the reply answers: the redactor
    reads "its biscuit" after "What's your security answer?" as the secret), if there is one."""
    if not 0 < index < len(turns) or turns[index].role != "customer" or turns[index - 1].role != "agent":
        return None
    return turns[index - 1].text


def previous_agent_texts(turns: Sequence[Turn]) -> list[str | None]:
    """For each turn of one conversation, the agent's last turn before it."""
    out: list[str | None] = []
    last: str | None = None
    for turn in turns:
        out.append(last)
        if turn.role == "agent":
            last = turn.text
    return out


def encoder_texts(turns: Iterable[Turn]) -> list[str]:
    """The sentences `add_turn` will encode for these turns (for bulk cache warm-ups)."""
    return [s.text for turn in turns for s in split_sentences(turn.text) or [_whole(turn.text)]]


def _whole(text: str) -> Span:
    """A turn with no sentence found (whitespace only) is read as one span."""
    return Span(start=0, end=len(text), text=text)


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
