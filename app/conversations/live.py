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
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from app.batching import MicroBatcher
from app.coaching.analysis import TurnAnalysis
from app.coaching.conversation import Turn
from app.coaching.engine import CoachingEngine, ConversationState, trajectory
from app.coaching.text import split_sentences
from app.conversations.service import append_turn, get_conversation, get_or_create_conversation, list_turns
from app.pii.service import Redactor, scrub
from app.storage.database import session_scope
from app.tenants.models import Tenant


class ConversationNotFound(LookupError):
    """No such conversation for this tenant (another tenant's looks exactly the same)."""


@dataclass
class _Live:
    state: ConversationState
    lock: asyncio.Lock


class LiveCoach:
    def __init__(self, engine: CoachingEngine, sessions: sessionmaker[Session], redactor: Redactor,
                 batcher: MicroBatcher[Turn, None], max_states: int = 10_000) -> None:  # fmt: skip
        self.engine = engine
        self.sessions = sessions
        self.redactor = redactor
        self.batcher = batcher
        self.max_states = max_states
        self._live: OrderedDict[tuple[str, str], _Live] = OrderedDict()

    @staticmethod
    def warm(engine: CoachingEngine, turns: list[Turn]) -> list[None]:
        """The batcher's work: one model call for many turns fills the engine's caches."""
        engine.classifier.predict([t.text for t in turns if t.role == "customer"])
        engine.encoder.encode([s.text for t in turns if t.role != "system" for s in split_sentences(t.text)])
        return [None] * len(turns)

    def _slot(self, tenant_id: str, conversation_id: str) -> _Live:
        key = (tenant_id, conversation_id)
        live = self._live.get(key)
        if live is None:
            live = _Live(self._rebuild(tenant_id, conversation_id), asyncio.Lock())
            self._live[key] = live
            while len(self._live) > self.max_states:
                self._live.popitem(last=False)
        self._live.move_to_end(key)
        return live

    def _rebuild(self, tenant_id: str, conversation_id: str) -> ConversationState:
        """Engine state from stored turns (after a restart or eviction). Stored text may be
        redacted, which only blanks the PII values themselves."""
        state = self.engine.new_state(conversation_id, tenant=tenant_id)
        with session_scope(self.sessions) as session:
            record = get_conversation(session, tenant_id, conversation_id)
            stored = [Turn(role=t.role, text=t.text, ts=t.ts, agent_id=t.agent_id)  # type: ignore[arg-type]
                      for t in (list_turns(session, record) if record else [])]  # fmt: skip
        for turn in stored:
            self.engine.add_turn(state, turn, learn_macros=False)
        return state

    async def add_turn(self, tenant: Tenant, conversation_id: str, turn: Turn) -> TurnAnalysis:
        live = self._slot(tenant.id, conversation_id)
        async with live.lock:
            await self.batcher.submit(turn)
            analysis = await asyncio.to_thread(self.engine.add_turn, live.state, turn)
            try:
                await asyncio.to_thread(self._store, tenant, conversation_id, turn, analysis)
            except BaseException:
                # Not stored means not accepted: forget the turn so state matches storage.
                self._live.pop((tenant.id, conversation_id), None)
                raise
        return analysis

    def _store(self, tenant: Tenant, conversation_id: str, turn: Turn, analysis: TurnAnalysis) -> None:
        text, replacements = self.redactor.redact(turn.text, tenant.pii_mode)  # type: ignore[arg-type]
        stored_analysis = scrub(analysis.model_dump(mode="json", exclude_none=True), replacements)
        with session_scope(self.sessions) as session:
            record = get_or_create_conversation(session, tenant.id, conversation_id)
            append_turn(session, record, role=turn.role, text=text, ts=turn.ts, agent_id=turn.agent_id,
                        analysis=stored_analysis)  # type: ignore[arg-type]  # fmt: skip

    def conversation(self, tenant: Tenant, conversation_id: str) -> dict:
        """Stored turns with their analyses, the sentiment trajectory and L.E.A.R.N. coverage."""
        with session_scope(self.sessions) as session:
            record = get_conversation(session, tenant.id, conversation_id)
            if record is None:
                raise ConversationNotFound(conversation_id)
            turns = [{"seq": t.seq, "role": t.role, "text": t.text, "ts": t.ts, "agent_id": t.agent_id,
                      "analysis": t.analysis} for t in list_turns(session, record)]  # fmt: skip
        state = self._slot(tenant.id, conversation_id).state
        return {
            "conversation_id": conversation_id,
            "turns": turns,
            "trajectory": trajectory(state.sentiment_points).model_dump(),
            "learn_coverage": dict(state.coverage),
        }

    async def draft(self, tenant: Tenant, conversation_id: str, text: str) -> TurnAnalysis:
        """How a draft agent message would be read, on a copy of the state: nothing stored or learned."""
        live = self._slot(tenant.id, conversation_id)
        async with live.lock:
            scratch = copy.deepcopy(live.state)
        turn = Turn(role="agent", text=text)
        await self.batcher.submit(turn)
        return await asyncio.to_thread(self.engine.add_turn, scratch, turn, learn_macros=False)

    def handoff(self, tenant: Tenant, conversation_id: str) -> dict:
        with session_scope(self.sessions) as session:
            if get_conversation(session, tenant.id, conversation_id) is None:
                raise ConversationNotFound(conversation_id)
        summary = self.engine.handoff(self._slot(tenant.id, conversation_id).state)
        return scrub(summary, self.redactor.redact(" ".join(summary["customer_said"]), tenant.pii_mode)[1])  # type: ignore[return-value,arg-type]
