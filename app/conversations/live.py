"""Live coaching of stored conversations: the glue between engine, storage and redaction.

No FastAPI here. Per conversation, turns are handled one at a time (an asyncio lock), so
the engine state and the stored sequence stay in step. The model sees the original text;
what is stored is redacted per the tenant's PII mode, analysis included. Model work goes
through the micro-batcher, so concurrent conversations share forward passes.
"""

from __future__ import annotations

import asyncio
import copy
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.batching import MicroBatcher
from app.coaching.analysis import TurnAnalysis
from app.coaching.conversation import Conversation, Turn
from app.coaching.engine import CoachingEngine, ConversationState, previous_agent_text, question_before, trajectory
from app.conversations.feed import TurnFeed, turn_event
from app.conversations.service import (
    append_turn,
    find_turn_by_key,
    get_conversation,
    get_or_create_conversation,
    last_turn_id,
    list_turns,
    recent_agent_turns,
    turn_count,
)
from app.metrics import record_analysis
from app.pii.service import Redactor, TaggedTurn, scrub
from app.storage.database import session_scope
from app.tenants.models import Tenant

WarmItem = tuple[Turn, str | None]  # a turn and the agent's turn before it (the emotion model reads both)


class ConversationNotFound(LookupError):
    """No such conversation for this tenant (another tenant's looks exactly the same)."""


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was already used in this conversation for a different turn."""


class ConversationBusy(RuntimeError):
    """Other writers kept adding turns to this conversation while this one tried to."""


class _StaleState(Exception):
    """Storage moved on (another worker added a turn): rebuild the state and try again."""


@dataclass
class _Live:
    state: ConversationState
    lock: asyncio.Lock
    loaded: bool = False  # state rebuilt from storage at least once
    record_id: int | None = None  # the stored conversation's row id, once known
    # PII values seen in this conversation's turns (original -> replacement): a later turn's
    # analysis can quote them (suggestion ideas use the customer's words, order, email ...).
    # A state rebuilt from storage was built from redacted text, so it has none to add.
    replacements: dict[str, str] = field(default_factory=dict)
    # The same values with what each is ("PERSON", ...): redacted again wherever a later turn repeats
    # them (an agent typing back a name only the tagger found in the customer's turn).
    known: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AddedTurn:
    analysis: TurnAnalysis
    seq: int
    replayed: bool = False  # an Idempotency-Key repeat: the stored analysis, nothing added
    owed: int = 0  # callback events it put in the outbox (none: the dispatcher need not wake)


class LiveCoach:
    def __init__(
        self,
        engine: CoachingEngine,
        sessions: sessionmaker[Session],
        redactor: Redactor,
        batcher: MicroBatcher[WarmItem, None],
        feed: TurnFeed | None = None,
        max_states: int = 10_000,
        outbox: Callable[[Session, str, dict], int] | None = None,
        on_outbox: Callable[[], None] | None = None,
        tag_while_waiting: bool = True,
    ) -> None:
        """`outbox(session, tenant_id, event)` owes each stored turn to the tenant's callbacks, in the
        turn's transaction; `on_outbox()` wakes their dispatcher once it is committed.
        `tag_while_waiting`: the PII tagger reads a turn while it waits on the emotion model (else when
        it is stored, so the process never runs two models at once)."""
        self.engine = engine
        self.sessions = sessions
        self.redactor = redactor
        self.batcher = batcher
        self.feed = feed
        self.max_states = max_states
        self.outbox = outbox
        self.on_outbox = on_outbox
        self.tag_while_waiting = tag_while_waiting
        self._live: OrderedDict[tuple[str, str], _Live] = OrderedDict()
        self._macros_through = 0  # the highest stored turn id the macro memory has read

    @staticmethod
    def warm(engine: CoachingEngine, items: list[WarmItem]) -> list[None]:
        """The batcher's work: one model call for many turns (each with the agent turn before it)
        fills the engine's caches."""
        engine.warm_turns([turn for turn, _ in items], [context for _, context in items])
        return [None] * len(items)

    def learn_stored_macros(self, limit: int) -> int:
        """Feed the latest `limit` stored agent turns to the macro memory (a team's macros are
        known again after a restart, or to a new worker); returns the sentences learned. Later
        turns, whichever worker stored them, come in through `sync_macros`."""
        with session_scope(self.sessions) as session:
            self._macros_through = last_turn_id(session)
            rows = recent_agent_turns(session, limit) if limit > 0 else []
        return self._learn_macros(rows)

    def sync_macros(self, limit: int = 5000) -> int:
        """Agent turns stored since the last read, by any worker, into the macro memory (this
        worker's own are already there: the memory skips a sentence it holds for a conversation)."""
        with session_scope(self.sessions) as session:
            rows = recent_agent_turns(session, limit, after_id=self._macros_through)
        return self._learn_macros(rows)

    def _learn_macros(self, rows: list[tuple[int, str, str, str]]) -> int:
        if rows:
            self._macros_through = max(self._macros_through, rows[-1][0])
        conversations: dict[tuple[str, str], Conversation] = {}
        for _, tenant_id, conversation_id, text in rows:
            key = (tenant_id, conversation_id)
            if key not in conversations:
                conversations[key] = Conversation(conversation_id=conversation_id, tenant=tenant_id)
            conversations[key].turns.append(Turn(role="agent", text=text))
        return self.engine.learn_macros(conversations.values())

    def _slot(self, tenant_id: str, conversation_id: str) -> _Live:
        key = (tenant_id, conversation_id)
        live = self._live.get(key)
        if live is None:  # filled from storage by _catch_up, off the event loop
            live = _Live(self.engine.new_state(conversation_id, tenant=tenant_id), asyncio.Lock())
            self._live[key] = live
            while len(self._live) > self.max_states:
                self._live.popitem(last=False)
        self._live.move_to_end(key)
        return live

    async def _current_slot(self, tenant_id: str, conversation_id: str) -> _Live:
        """The slot, its state caught up with storage (another worker may have added turns)."""
        live = self._slot(tenant_id, conversation_id)
        async with live.lock:
            await self._catch_up(live, tenant_id, conversation_id)
        return live

    async def _catch_up(self, live: _Live, tenant_id: str, conversation_id: str) -> None:
        stored = await asyncio.to_thread(self._stored_count, tenant_id, conversation_id)
        if stored != len(live.state.turns):
            live.state = await asyncio.to_thread(self._rebuild, tenant_id, conversation_id)
        live.loaded = True

    def _stored_count(self, tenant_id: str, conversation_id: str) -> int:
        with session_scope(self.sessions) as session:
            return turn_count(session, tenant_id, conversation_id)

    def _rebuild(self, tenant_id: str, conversation_id: str) -> ConversationState:
        """Engine state from stored turns (after a restart, an eviction or another worker's
        write). Stored text may be redacted, which only blanks the PII values themselves."""
        state = self.engine.new_state(conversation_id, tenant=tenant_id)
        with session_scope(self.sessions) as session:
            record = get_conversation(session, tenant_id, conversation_id)
            stored = [
                Turn(role=t.role, text=t.text, ts=t.ts, agent_id=t.agent_id)  # type: ignore[arg-type]
                for t in (list_turns(session, record) if record else [])
            ]
        for turn in stored:
            self.engine.add_turn(state, turn, learn_macros=False)
        return state

    async def add_turn(
        self, tenant: Tenant, conversation_id: str, turn: Turn, client_key: str | None = None, attempts: int = 4
    ) -> AddedTurn:
        """Analyse and store one turn. With a client key, a repeat of the same turn returns the
        stored analysis instead of adding it twice (safe retries)."""
        live = self._slot(tenant.id, conversation_id)
        async with live.lock:
            if not live.loaded:
                await self._catch_up(live, tenant.id, conversation_id)
            # The PII tagger reads the turn while it waits on the emotion model (both release the GIL).
            _, tagged = await asyncio.gather(
                self.batcher.submit((turn, previous_agent_text(live.state.turns))),
                self._tag_while_waiting(live, tenant, turn),
            )
            for _ in range(attempts):
                try:  # one thread hop: replay check, analysis and storage
                    added = await asyncio.to_thread(
                        self._analyse_and_store, live, tenant, conversation_id, turn, client_key, tagged
                    )
                except _StaleState:
                    live.state = await asyncio.to_thread(self._rebuild, tenant.id, conversation_id)
                    live.record_id = None
                    live.replacements.clear()
                    live.known.clear()
                    continue
                except BaseException:
                    # Not stored means not accepted: forget the turn so state matches storage.
                    self._live.pop((tenant.id, conversation_id), None)
                    raise
                break
            else:
                self._live.pop((tenant.id, conversation_id), None)
                raise ConversationBusy(conversation_id)
        if not added.replayed:
            record_analysis(added.analysis)
            if self.feed is not None:
                self.feed.notify(tenant.id, conversation_id)
            if self.on_outbox is not None and added.owed:
                self.on_outbox()  # only when there is something to send: each wake reads the outbox
        return added

    async def _tag_while_waiting(self, live: _Live, tenant: Tenant, turn: Turn) -> TaggedTurn | None:
        if tenant.pii_mode == "off" or not self.tag_while_waiting:
            return None  # tagged when stored, if at all
        asked = question_before(live.state.turns, len(live.state.turns))
        return await asyncio.to_thread(self.redactor.tag, turn.text, asked, turn.role)

    def _analyse_and_store(
        self,
        live: _Live,
        tenant: Tenant,
        conversation_id: str,
        turn: Turn,
        client_key: str | None,
        tagged: TaggedTurn | None = None,
    ) -> AddedTurn:
        if client_key is not None:
            replay = self._replay(live, tenant, conversation_id, turn, client_key)
            if replay is not None:
                return replay
        expected_seq = len(live.state.turns)
        analysis = self.engine.add_turn(live.state, turn)
        owed = self._store(live, tenant, conversation_id, turn, analysis, expected_seq, client_key, tagged)
        return AddedTurn(analysis, expected_seq, owed=owed)

    def _replay(
        self, live: _Live, tenant: Tenant, conversation_id: str, turn: Turn, client_key: str
    ) -> AddedTurn | None:
        with session_scope(self.sessions) as session:
            stored = find_turn_by_key(session, tenant.id, conversation_id, client_key)
            if stored is None:
                return None
            asked = question_before(live.state.turns, stored.seq)
            # Redacted as it was stored, or with fewer known values (those found since are not in it).
            redact = self.redactor.redact
            texts = {
                redact(turn.text, tenant.pii_mode, asked, turn.role, known=known).text  # type: ignore[arg-type]
                for known in (live.known, None)
            }
            if stored.role != turn.role or stored.text not in texts:
                raise IdempotencyConflict(client_key)
            return AddedTurn(TurnAnalysis.model_validate(stored.analysis), stored.seq, replayed=True)

    def _store(
        self,
        live: _Live,
        tenant: Tenant,
        conversation_id: str,
        turn: Turn,
        analysis: TurnAnalysis,
        expected_seq: int,
        client_key: str | None,
        tagged: TaggedTurn | None = None,
    ) -> int:
        """Store the turn at `expected_seq`, redacted, its analysis scrubbed of every PII value
        seen in the conversation; returns how many callback events it owes. A writer that got there
        first (another worker) shows up as a taken seq: _StaleState."""
        asked = question_before(live.state.turns, expected_seq)
        redaction = self.redactor.redact(turn.text, tenant.pii_mode, asked, turn.role, tagged, live.known)  # type: ignore[arg-type]
        seen = {**live.replacements, **redaction.replacements}
        stored_analysis = replace(redaction, replacements=seen).apply(
            analysis.model_dump(mode="json", exclude_none=True)
        )
        record_id = live.record_id
        owed = 0
        try:
            with session_scope(self.sessions) as session:
                if record_id is None:
                    record_id = get_or_create_conversation(session, tenant.id, conversation_id).id
                append_turn(
                    session,
                    record_id,
                    role=turn.role,
                    text=redaction.text,
                    ts=turn.ts,
                    agent_id=turn.agent_id,
                    analysis=stored_analysis,
                    client_key=client_key,
                    seq=expected_seq,
                )
                if self.outbox is not None:  # owed to the tenant's callbacks, in the same transaction
                    event = turn_event(
                        conversation_id,
                        expected_seq,
                        turn.role,
                        redaction.text,
                        turn.ts,
                        turn.agent_id,
                        stored_analysis,
                    )
                    owed = self.outbox(session, tenant.id, event)
        except IntegrityError as exc:  # a concurrent writer took the seq, the key or the conversation id
            raise _StaleState from exc
        live.record_id, live.replacements = record_id, seen  # committed: now they hold
        live.known.update(redaction.entities)
        return owed

    async def conversation(self, tenant: Tenant, conversation_id: str) -> dict:
        """Stored turns with their analyses, the sentiment trajectory and L.E.A.R.N. coverage."""
        turns = await asyncio.to_thread(self._stored_turns, tenant.id, conversation_id)
        state = (await self._current_slot(tenant.id, conversation_id)).state
        return {
            "conversation_id": conversation_id,
            "turns": turns,
            "trajectory": trajectory(state.sentiment_points).model_dump(),
            "learn_coverage": dict(state.coverage),
        }

    def _stored_turns(self, tenant_id: str, conversation_id: str) -> list[dict]:
        with session_scope(self.sessions) as session:
            record = get_conversation(session, tenant_id, conversation_id)
            if record is None:
                raise ConversationNotFound(conversation_id)
            return [
                {
                    "seq": t.seq,
                    "role": t.role,
                    "text": t.text,
                    "ts": t.ts,
                    "agent_id": t.agent_id,
                    "analysis": t.analysis,
                }
                for t in list_turns(session, record)
            ]

    async def draft(self, tenant: Tenant, conversation_id: str, text: str) -> TurnAnalysis:
        """How a draft agent message would be read, on a copy of the state: nothing stored or learned."""
        live = self._slot(tenant.id, conversation_id)
        async with live.lock:
            await self._catch_up(live, tenant.id, conversation_id)
            scratch = copy.deepcopy(live.state)
        turn = Turn(role="agent", text=text)
        await self.batcher.submit((turn, None))
        return await asyncio.to_thread(self.engine.add_turn, scratch, turn, learn_macros=False)

    async def handoff(self, tenant: Tenant, conversation_id: str) -> dict:
        if await asyncio.to_thread(self._stored_count, tenant.id, conversation_id) == 0:
            raise ConversationNotFound(conversation_id)
        live = await self._current_slot(tenant.id, conversation_id)
        summary = self.engine.handoff(live.state)
        said = self.redactor.redact(" ".join(summary["customer_said"]), tenant.pii_mode).replacements  # type: ignore[arg-type]
        return scrub(summary, {**live.replacements, **said})  # type: ignore[return-value]
