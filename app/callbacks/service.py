"""Outbound callbacks: for each analysed turn, a signed JSON event to each of the tenant's callback
URLs whose filter it passes, from a durable outbox in the same database.

- Enqueued in the transaction that stores the turn: a turn stored is an event owed.
- Delivered in order per (callback, conversation): only the oldest undelivered event of a
  conversation is ever in flight.
- Retried with exponential backoff and jitter (tenacity's wait strategy decides each delay; the
  schedule is stored, so it survives restarts), at most `concurrency` requests at once per URL,
  dead-lettered after `max_attempts`; `replay` puts dead events back in line.
- Each attempt is logged with its status code and latency. Several workers may run dispatchers: an
  event is claimed with a conditional update before it is sent.
- At least once: a receiver that sees an event id twice (a worker died after sending, before
  recording) should ignore the second; `event_id` and the `Coachline-Event-Id` header carry it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets as random
import time
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker
from tenacity import RetryCallState, wait_exponential_jitter

from app.callbacks.models import Callback, Delivery, OutboxEntry
from app.storage.database import session_scope
from app.tenants.service import get_or_create_tenant
from app.webhooks.adapters.generic import sign

logger = logging.getLogger(__name__)
FILTERS = ("all", "flags", "cards")


@dataclass(frozen=True)
class DispatchSettings:
    max_attempts: int = 8
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 300.0
    concurrency: int = 4  # requests in flight at once per URL
    timeout_s: float = 10.0
    poll_s: float = 0.5


def add_callback(session: Session, tenant_id: str, url: str, filter: str = "all") -> Callback:
    if filter not in FILTERS:
        raise ValueError(f"filter must be one of {', '.join(FILTERS)}")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{url!r} is not an http(s) URL")
    get_or_create_tenant(session, tenant_id)
    callback = Callback(
        id="cb_" + random.token_hex(6), tenant_id=tenant_id, url=url, filter=filter, secret=random.token_hex(32)
    )
    session.add(callback)
    session.commit()
    return callback


def list_callbacks(session: Session, tenant_id: str | None = None) -> list[Callback]:
    query = select(Callback).order_by(Callback.created_at)
    return list(session.scalars(query.where(Callback.tenant_id == tenant_id) if tenant_id else query))


def get_callback(session: Session, callback_id: str, tenant_id: str | None = None) -> Callback:
    """The callback, if it is there (and the tenant's, when one is named); else LookupError."""
    callback = session.get(Callback, callback_id)
    if callback is None or (tenant_id is not None and callback.tenant_id != tenant_id):
        raise LookupError(f"no callback {callback_id!r}")
    return callback


def remove_callback(session: Session, callback_id: str, tenant_id: str | None = None) -> None:
    session.delete(get_callback(session, callback_id, tenant_id))
    session.commit()


def passes(filter: str, event: dict) -> bool:
    analysis = event.get("analysis") or {}
    if filter == "flags":
        return bool((analysis.get("agent") or {}).get("flags"))
    if filter == "cards":
        return bool(analysis.get("suggestions"))
    return True


def enqueue(session: Session, tenant_id: str, event: dict) -> int:
    """Owe `event` (a stored turn, as the stream sends it) to each matching callback; in the
    caller's transaction. Returns how many entries were added."""
    added = 0
    for callback in session.scalars(select(Callback).where(Callback.tenant_id == tenant_id)):
        if passes(callback.filter, event):
            session.add(
                OutboxEntry(
                    callback_id=callback.id,
                    tenant_id=tenant_id,
                    conversation_id=event["conversation_id"],
                    event_id=f"{callback.id}:{event['conversation_id']}:{event['seq']}"[:160],
                    payload=event,
                    status="pending",
                    attempts=0,
                    next_attempt_at=datetime.now(UTC),
                )
            )
            added += 1
    return added


def replay(session: Session, callback_id: str | None = None) -> int:
    """Dead events back in line (attempts reset); returns how many."""
    query = update(OutboxEntry).where(OutboxEntry.status == "dead")
    if callback_id:
        query = query.where(OutboxEntry.callback_id == callback_id)
    result = session.execute(
        query.values(status="pending", attempts=0, next_attempt_at=datetime.now(UTC), claimed_until=None)
    )
    session.commit()
    return result.rowcount or 0


def deliveries(session: Session, callback_id: str, limit: int = 50) -> list[Delivery]:
    query = select(Delivery).where(Delivery.callback_id == callback_id).order_by(Delivery.id.desc()).limit(limit)
    return list(session.scalars(query))


def next_delay(attempt: int, settings: DispatchSettings) -> float:
    """Seconds before attempt `attempt + 1`: tenacity's exponential backoff with jitter."""
    wait = wait_exponential_jitter(initial=settings.backoff_initial_s, max=settings.backoff_max_s)
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    return float(wait(state))


@dataclass(frozen=True)
class Due:
    id: int
    callback_id: str
    url: str
    secret: str
    event_id: str
    payload: dict
    attempts: int


class Dispatcher:
    def __init__(self, sessions: sessionmaker[Session], settings: DispatchSettings | None = None) -> None:
        self.sessions = sessions
        self.settings = settings or DispatchSettings()
        self._wake = asyncio.Event()
        self._limits: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.settings.concurrency))
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task] = set()

    def notify(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.settings.timeout_s) as client:
            try:
                while True:
                    try:
                        for due in await asyncio.to_thread(self._claim_due):
                            self._in_flight.add(due.id)
                            task = asyncio.create_task(self._deliver(client, due))
                            self._tasks.add(task)
                            task.add_done_callback(self._tasks.discard)
                    except Exception:  # the database is away: try again on the next round
                        logger.warning("callback dispatcher: could not read the outbox", exc_info=True)
                    self._wake.clear()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_s)
            finally:
                for task in list(self._tasks):
                    task.cancel()

    def _claim_due(self) -> list[Due]:
        """The head event of each (callback, conversation) that is due and not in flight, claimed."""
        now = datetime.now(UTC)
        lease = now + timedelta(seconds=self.settings.timeout_s * 3)
        older = aliased(OutboxEntry)
        head = (
            ~select(older.id)
            .where(
                and_(
                    older.status == "pending",
                    older.callback_id == OutboxEntry.callback_id,
                    older.conversation_id == OutboxEntry.conversation_id,
                    older.id < OutboxEntry.id,
                )
            )
            .exists()
        )
        with session_scope(self.sessions) as session:
            rows = session.execute(
                select(OutboxEntry, Callback)
                .join(Callback, Callback.id == OutboxEntry.callback_id)
                .where(OutboxEntry.status == "pending", OutboxEntry.next_attempt_at <= now, head)
                .where((OutboxEntry.claimed_until.is_(None)) | (OutboxEntry.claimed_until < now))
                .order_by(OutboxEntry.id)
                .limit(200)
            ).all()
            claimed = []
            for entry, callback in rows:
                if entry.id in self._in_flight:
                    continue
                taken = session.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.id == entry.id, OutboxEntry.status == "pending")
                    .where((OutboxEntry.claimed_until.is_(None)) | (OutboxEntry.claimed_until < now))
                    .values(claimed_until=lease)
                )
                if taken.rowcount == 1:
                    claimed.append(
                        Due(
                            entry.id,
                            callback.id,
                            callback.url,
                            callback.secret,
                            entry.event_id,
                            entry.payload,
                            entry.attempts,
                        )
                    )
            return claimed

    async def _deliver(self, client: httpx.AsyncClient, due: Due) -> None:
        body = json.dumps({"event_id": due.event_id, **due.payload}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "Coachline-Signature": sign(due.secret, int(time.time()), body),
            "Coachline-Event-Id": due.event_id,
        }
        status: int | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            async with self._limits[due.url]:
                response = await client.post(due.url, content=body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        latency_ms = (time.perf_counter() - started) * 1000
        try:
            await asyncio.to_thread(self._record, due, status, error, latency_ms)
        finally:
            self._in_flight.discard(due.id)
            self.notify()  # the next event of this conversation may go now

    def _record(self, due: Due, status: int | None, error: str | None, latency_ms: float) -> None:
        attempt = due.attempts + 1
        with session_scope(self.sessions) as session:
            session.add(
                Delivery(
                    outbox_id=due.id,
                    callback_id=due.callback_id,
                    attempt=attempt,
                    status_code=status,
                    latency_ms=round(latency_ms, 1),
                    error=error,
                )
            )
            entry = session.get(OutboxEntry, due.id)
            if entry is None:
                return
            entry.attempts, entry.claimed_until = attempt, None
            if error is None:
                entry.status, entry.delivered_at, entry.last_error = "delivered", datetime.now(UTC), None
            elif attempt >= self.settings.max_attempts:
                entry.status, entry.last_error = "dead", error
            else:
                entry.last_error = error
                entry.next_attempt_at = datetime.now(UTC) + timedelta(seconds=next_delay(attempt, self.settings))
