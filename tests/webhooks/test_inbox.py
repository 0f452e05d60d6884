"""The webhook inbox alone (a real SQLite database, a stand-in for the live coach): an event whose
processing fails keeps its place and is tried again after a pause that doubles, then processed once;
one that keeps failing is set aside after MAX_ATTEMPTS and the rest go on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from app.storage.database import make_engine, session_scope, upgrade
from app.webhooks import service
from app.webhooks.adapters.base import InboundEvent, InboundTurn
from app.webhooks.models import WebhookEvent
from app.webhooks.service import MAX_ATTEMPTS, Inbox, add_integration, store_events


class FlakyLive:
    """Fails the first `failures` calls for conversation `c-flaky`, records every stored turn."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.stored: list[tuple[str, str]] = []

    async def add_turn(self, tenant, conversation_id, turn, client_key=None):
        if conversation_id == "c-flaky" and self.failures > 0:
            self.failures -= 1
            raise ConnectionError("database went away")
        self.stored.append((conversation_id, turn.text))


def _inbox(tmp_path: Path, live: FlakyLive) -> tuple[Inbox, sessionmaker]:
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    upgrade(url)
    sessions = sessionmaker(make_engine(url), expire_on_commit=False)
    with session_scope(sessions) as session:
        integration = add_integration(session, "acme", "generic")
        events = [
            InboundEvent(f"e-{i}", (InboundTurn(conversation, "customer", f"text {i}"),))
            for i, conversation in enumerate(["c-flaky", "c-other"])
        ]
        store_events(session, integration, events)
    return Inbox(sessions, live, poll_s=0.01), sessions


def _run_until(inbox: Inbox, done, pauses: list[float], monkeypatch) -> None:
    real_sleep = asyncio.sleep

    async def recorded_sleep(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(service.asyncio, "sleep", recorded_sleep)

    async def drive() -> None:
        task = asyncio.create_task(inbox.run())
        for _ in range(2000):
            if done():
                break
            await real_sleep(0.005)
        task.cancel()

    asyncio.run(drive())


def test_a_failing_event_is_retried_after_growing_pauses_and_keeps_its_place(tmp_path: Path, monkeypatch) -> None:
    live = FlakyLive(failures=2)
    inbox, sessions = _inbox(tmp_path, live)
    pauses: list[float] = []
    _run_until(inbox, lambda: len(live.stored) == 2, pauses, monkeypatch)
    assert live.stored == [("c-flaky", "text 0"), ("c-other", "text 1")]  # in order, once each
    assert pauses == [0.01, 0.02]  # doubling after each failed attempt, not at once
    with session_scope(sessions) as session:
        rows = {r.event_id: r for r in session.query(WebhookEvent)}
        assert rows["e-0"].status == "done" and rows["e-0"].attempts == 3 and "went away" in rows["e-0"].error


def test_an_event_that_keeps_failing_is_set_aside_and_the_rest_go_on(tmp_path: Path, monkeypatch) -> None:
    live = FlakyLive(failures=10**6)
    inbox, sessions = _inbox(tmp_path, live)
    pauses: list[float] = []
    _run_until(inbox, lambda: live.stored == [("c-other", "text 1")], pauses, monkeypatch)
    assert len(pauses) == MAX_ATTEMPTS - 1
    with session_scope(sessions) as session:
        flaky = session.query(WebhookEvent).filter_by(event_id="e-0").one()
        assert flaky.status == "failed" and flaky.attempts == MAX_ATTEMPTS
