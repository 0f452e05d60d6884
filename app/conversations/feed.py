"""Fan stored turns out to stream subscribers, whichever worker (or webhook) stored them.

The database is the bus: a subscriber reads turns with `seq` above the last it sent, so what
the sidebar sees is exactly what was stored (redacted), in order, with nothing skipped. Within
a worker, `LiveCoach` calls `notify` right after a turn commits and subscribers wake at once.
Turns stored by other workers are found by one shared poll per worker (one small query every
`poll_interval_s` while anyone is subscribed). Per conversation, seq N+1 can only commit after
seq N (the unique constraint serialises writers), so reading by seq never misses a turn.

No FastAPI here: the WebSocket route adapts this to the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.conversations.models import ConversationRecord, TurnRecord
from app.storage.database import session_scope

Key = tuple[str, str]  # (tenant id, the caller's conversation id)


def turn_event(
    conversation_id: str, seq: int, role: str, text: str, ts: datetime | None, agent_id: str | None, analysis: dict
) -> dict:
    """A stored turn as the stream and the outbound callbacks send it."""
    return {
        "type": "turn",
        "conversation_id": conversation_id,
        "seq": seq,
        "role": role,
        "text": text,
        "ts": ts.isoformat() if ts else None,
        "agent_id": agent_id,
        "analysis": analysis,
    }


def stored_turn(record: TurnRecord, conversation_id: str) -> dict:
    return turn_event(
        conversation_id, record.seq, record.role, record.text, record.ts, record.agent_id, record.analysis
    )


class TurnFeed:
    def __init__(self, sessions: sessionmaker[Session], poll_interval_s: float = 0.2) -> None:
        self.sessions = sessions
        self.poll_interval_s = poll_interval_s
        self._waiters: dict[Key, set[asyncio.Event]] = defaultdict(set)
        self._seen: dict[Key, int] = {}
        self._poller: asyncio.Task[None] | None = None

    def notify(self, tenant_id: str, conversation_id: str) -> None:
        """A turn of this conversation was just stored here: wake its subscribers."""
        for event in self._waiters.get((tenant_id, conversation_id), ()):
            event.set()

    async def subscribe(self, tenant_id: str, conversation_id: str, after_seq: int = -1) -> AsyncIterator[dict]:
        """Stored turns with seq > after_seq, then each new one as it is stored, until cancelled.
        The conversation need not exist yet: a sidebar may open before the first message."""
        key = (tenant_id, conversation_id)
        wake = asyncio.Event()
        self._waiters[key].add(wake)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())
        try:
            while True:
                wake.clear()
                for turn in await asyncio.to_thread(self._turns_after, key, after_seq):
                    after_seq = turn["seq"]
                    yield turn
                await wake.wait()
        finally:
            self._waiters[key].discard(wake)
            if not self._waiters[key]:
                del self._waiters[key]
                self._seen.pop(key, None)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller

    def _turns_after(self, key: Key, after_seq: int) -> list[dict]:
        with session_scope(self.sessions) as session:
            rows = session.execute(
                select(TurnRecord)
                .join(ConversationRecord, TurnRecord.conversation_id == ConversationRecord.id)
                .where(
                    ConversationRecord.tenant_id == key[0],
                    ConversationRecord.external_id == key[1],
                    TurnRecord.seq > after_seq,
                )
                .order_by(TurnRecord.seq)
            ).scalars()
            return [stored_turn(row, key[1]) for row in rows]

    def _latest_seqs(self, keys: list[Key]) -> dict[Key, int]:
        with session_scope(self.sessions) as session:
            rows = session.execute(
                select(ConversationRecord.tenant_id, ConversationRecord.external_id, func.max(TurnRecord.seq))
                .join(TurnRecord, TurnRecord.conversation_id == ConversationRecord.id)
                .where(ConversationRecord.external_id.in_({external for _, external in keys}))
                .group_by(ConversationRecord.id, ConversationRecord.tenant_id, ConversationRecord.external_id)
            ).all()
        wanted = set(keys)
        return {(tenant, external): seq for tenant, external, seq in rows if (tenant, external) in wanted}

    async def _poll(self) -> None:
        """While anyone listens: find conversations whose newest seq moved and wake them."""
        while self._waiters:
            await asyncio.sleep(self.poll_interval_s)
            keys = list(self._waiters)
            if not keys:
                break
            try:
                latest = await asyncio.to_thread(self._latest_seqs, keys)
            except Exception:  # a database hiccup: the next tick tries again
                continue
            for key, seq in latest.items():
                if self._seen.get(key) != seq:
                    self._seen[key] = seq
                    self.notify(*key)
