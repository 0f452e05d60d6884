"""Integrations (who may send us webhooks, with which secret) and the inbox: every acknowledged
event is stored under a unique (tenant, platform, event id) before the 2xx, then processed by one
background task in arrival order. Its turns go in through the same path as API turns, each with an
idempotency key derived from the event, so a crash between storing a turn and marking the event
done never stores it twice: processing again finds the stored turn and moves on."""

from __future__ import annotations

import asyncio
import logging
import secrets as random
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.coaching.conversation import Turn
from app.storage.database import as_utc, session_scope
from app.tenants.models import Tenant, utcnow
from app.tenants.service import get_or_create_tenant
from app.webhooks.adapters import PLATFORMS
from app.webhooks.adapters.base import InboundEvent
from app.webhooks.models import Integration, WebhookEvent

logger = logging.getLogger(__name__)
ROTATION_GRACE = timedelta(hours=24)
MAX_ATTEMPTS = 5
MAX_BACKOFF_S = 60.0  # the longest pause before an event that failed is tried again


def add_integration(session: Session, tenant_id: str, platform: str, secret: str | None = None) -> Integration:
    """A new integration; the platform's secret if it makes one (Intercom's client secret, Twilio's
    auth token), else a random one to paste into the platform."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}: one of {', '.join(PLATFORMS)}")
    get_or_create_tenant(session, tenant_id)
    integration = Integration(
        id="int_" + random.token_hex(6), tenant_id=tenant_id, platform=platform, secret=secret or random.token_hex(32)
    )
    session.add(integration)
    session.commit()
    return integration


def list_integrations(session: Session, tenant_id: str | None = None) -> list[Integration]:
    query = select(Integration).order_by(Integration.tenant_id, Integration.created_at)
    if tenant_id:
        query = query.where(Integration.tenant_id == tenant_id)
    return list(session.scalars(query))


def rotate_secret(session: Session, integration_id: str, grace: timedelta = ROTATION_GRACE) -> Integration:
    """A new secret; the old one stays valid for `grace` while the platform is updated."""
    integration = _get(session, integration_id)
    integration.previous_secret = integration.secret
    integration.previous_valid_until = utcnow() + grace
    integration.secret = random.token_hex(32)
    session.commit()
    return integration


def remove_integration(session: Session, integration_id: str) -> None:
    session.delete(_get(session, integration_id))
    session.commit()


def _get(session: Session, integration_id: str) -> Integration:
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise LookupError(f"no integration {integration_id!r} (see coach integrations list)")
    return integration


def valid_secrets(integration: Integration, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    found = [integration.secret]
    until = integration.previous_valid_until
    if integration.previous_secret and until is not None:
        until = as_utc(until)
        if now < until:
            found.append(integration.previous_secret)
    return found


def store_events(session: Session, integration: Integration, events: Sequence[InboundEvent]) -> list[str]:
    """Store each new event (pending, or ignored when it carries no chat turn); returns the ids that
    were already stored (redeliveries), which are acknowledged and not processed again."""
    duplicates = []
    for event in events:
        row = WebhookEvent(
            tenant_id=integration.tenant_id,
            platform=integration.platform,
            event_id=event.event_id[:128],
            integration_id=integration.id,
            turns=[asdict(t) for t in event.turns],
            status="pending" if event.turns else "ignored",
            attempts=0,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            duplicates.append(event.event_id)
    session.commit()
    return duplicates


def _turn(fields: dict) -> Turn:
    """The stored turn; a time the platform wrote in a form we can't read is dropped, not fatal."""
    try:
        return Turn(role=fields["role"], text=fields["text"], ts=fields.get("ts"), agent_id=fields.get("agent_id"))
    except ValidationError:
        return Turn(role=fields["role"], text=fields["text"], agent_id=fields.get("agent_id"))


class Inbox:
    """Processes pending events in arrival order, in the background of one worker process."""

    def __init__(self, sessions: sessionmaker[Session], live, poll_s: float = 1.0) -> None:
        self.sessions, self.live, self.poll_s = sessions, live, poll_s
        self._wake = asyncio.Event()
        self._retry_in: float | None = None  # set after a failure: the pause before trying it again

    def notify(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.process_next():
                    pass
            except Exception:  # a database blip: the event stays pending and is tried again
                logger.warning("webhook inbox: processing failed; retrying", exc_info=True)
            if self._retry_in is not None:
                # An event that failed keeps its place (order per conversation); it is tried again after
                # a pause that doubles with each attempt, not at once, so a blip has time to pass.
                await asyncio.sleep(self._retry_in)
                self._retry_in = None
                continue
            self._wake.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)

    async def process_next(self) -> bool:
        """Process the oldest pending event; False when there is none."""
        event = await asyncio.to_thread(self._oldest_pending)
        if event is None:
            return False
        event_row_id, tenant, turns, event_key = event
        try:
            for i, turn in enumerate(turns):
                await self.live.add_turn(tenant, turn["conversation_id"], _turn(turn), client_key=f"{event_key}:{i}")
        except Exception as exc:
            attempts = await asyncio.to_thread(self._failed, event_row_id, f"{type(exc).__name__}: {exc}")
            if attempts < MAX_ATTEMPTS:
                self._retry_in = min(MAX_BACKOFF_S, self.poll_s * 2 ** (attempts - 1))
                return False
            return True  # given up on (status failed): the rest of the inbox goes on at once
        await asyncio.to_thread(self._done, event_row_id)
        return True

    def _oldest_pending(self) -> tuple[int, Tenant, list[dict], str] | None:
        with session_scope(self.sessions) as session:
            row = session.scalars(
                select(WebhookEvent).where(WebhookEvent.status == "pending").order_by(WebhookEvent.id).limit(1)
            ).first()
            if row is None:
                return None
            tenant = session.get(Tenant, row.tenant_id)
            assert tenant is not None
            return row.id, tenant, list(row.turns), f"wh:{row.platform}:{row.event_id}"[:128]

    def _done(self, row_id: int) -> None:
        with session_scope(self.sessions) as session:
            row = session.get(WebhookEvent, row_id)
            if row is not None:
                row.status, row.processed_at, row.attempts = "done", utcnow(), row.attempts + 1
                # The platform's raw text has served its purpose: the turns are stored redacted. Keeping it
                # would keep every name, street line and secret the redactor exists to keep out.
                row.turns = [{key: value for key, value in turn.items() if key != "text"} for turn in row.turns]
                session.commit()

    def _failed(self, row_id: int, error: str) -> int:
        """Record a failed attempt; returns the attempts made so far."""
        with session_scope(self.sessions) as session:
            row = session.get(WebhookEvent, row_id)
            if row is None:
                return MAX_ATTEMPTS
            row.attempts += 1
            row.error = error[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"  # left for an operator; the rest of the inbox goes on
            session.commit()
            return row.attempts
