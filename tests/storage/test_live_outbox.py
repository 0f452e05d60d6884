"""The live coach wakes the callback dispatcher only when a stored turn owed a callback event: each
wake reads the outbox, and with no callback registered there is nothing to read for."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import sessionmaker

from app.batching import MicroBatcher
from app.callbacks.service import add_callback, enqueue
from app.coaching.conversation import Turn
from app.conversations.live import LiveCoach
from app.pii.service import Redactor
from app.storage.database import make_engine, session_scope
from app.tenants.service import get_or_create_tenant


def test_the_dispatcher_is_woken_only_for_owed_events(engine, database_url: str):
    sessions = sessionmaker(make_engine(database_url))
    with session_scope(sessions) as session:
        tenant = get_or_create_tenant(session, "acme")
        session.expunge(tenant)
    wakes: list[int] = []

    async def drive() -> list[int]:
        batcher = MicroBatcher(lambda turns: LiveCoach.warm(engine, turns), max_size=8, max_wait_s=0.001)
        live = LiveCoach(engine, sessions, Redactor(), batcher, outbox=enqueue, on_outbox=lambda: wakes.append(1))
        first = await live.add_turn(tenant, "c-1", Turn(role="customer", text="Where is my parcel?"))
        with session_scope(sessions) as session:
            add_callback(session, "acme", "http://127.0.0.1:9/hook")
        second = await live.add_turn(tenant, "c-1", Turn(role="agent", text="Let me check that for you now."))
        await batcher.close()
        return [first.owed, second.owed]

    assert asyncio.run(drive()) == [0, 1]
    assert wakes == [1]  # woken once: for the turn a callback was owed
