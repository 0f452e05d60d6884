"""The app factory. The model, engine, database and redactor are built once in the lifespan
and reached through `app.state` accessors (app/api/deps.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker

from app.api import analyze, callbacks, conversations, health, pages, qa, tokens, webhooks
from app.api.cors import TenantOriginsCORS
from app.api.errors import register_exception_handlers
from app.api.ratelimit import RateLimiter
from app.batching import MicroBatcher
from app.callbacks.service import Dispatcher, DispatchSettings, enqueue
from app.conversations.feed import TurnFeed
from app.conversations.live import LiveCoach
from app.metrics import BATCH_SIZE, MetricsMiddleware
from app.qa.jobs import JobScorer, JobWorker
from app.settings import Settings, get_settings
from app.tenants.models import ApiKey, Tenant
from app.tenants.service import AllowedOrigins, KeyCache
from app.tokens.service import TokenSigner
from app.webhooks.models import Integration
from app.webhooks.service import Inbox
from models.runtime import freeze_startup_objects, limit_blas_threads

logger = logging.getLogger(__name__)


def build_coach(settings: Settings):
    from app.coaching.wiring import build_coach as build

    return build(
        settings.model_path, settings.backend, settings.threads, settings.frameworks_dirs, cache_dir=settings.cache_dir
    )


def _qa_coach(settings: Settings):
    """QA jobs' own coach: one text per forward pass, so a job scores exactly as `coach score` does; and
    its own model lock, so a long job never holds up live turns (nor they it)."""
    from app.coaching.wiring import build_coach as build

    return build(
        settings.model_path,
        settings.backend,
        settings.threads,
        settings.frameworks_dirs,
        batch_size=1,
        cache_dir=settings.cache_dir,
    )


async def _sync_macros(live: LiveCoach, interval_s: float) -> None:
    """Every `interval_s`, teach the macro memory the agent turns other workers stored."""
    if interval_s <= 0:
        return
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(live.sync_macros)
        except Exception:  # a database blip: the next round reads from the same place
            logger.warning("macro sync failed; retrying in %.0f s", interval_s, exc_info=True)


def _shared_secret(app: FastAPI) -> str:
    from app.storage.database import session_scope
    from app.tokens.service import shared_secret

    with session_scope(app.state.sessions) as session:
        return shared_secret(session)


def _demo_tenant(app: FastAPI):
    from app.api.pages import DEMO_TENANT
    from app.storage.database import session_scope
    from app.tenants.service import get_or_create_tenant

    with session_scope(app.state.sessions) as session:
        return get_or_create_tenant(session, DEMO_TENANT)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.pii.service import Redactor
        from app.storage.database import make_engine, upgrade

        limit_blas_threads()
        upgrade(settings.database_url)
        app.state.db = make_engine(settings.database_url)
        app.state.sessions = sessionmaker(app.state.db, expire_on_commit=False)
        app.state.coach = coach = build_coach(settings)
        app.state.redactor = Redactor(ner=settings.pii_ner, tagger=settings.pii_tagger)
        app.state.key_cache = KeyCache[ApiKey](settings.key_cache_seconds)
        app.state.tenant_cache = KeyCache[Tenant](settings.key_cache_seconds)  # browser tokens name tenants
        app.state.integration_cache = KeyCache[Integration](settings.key_cache_seconds)
        app.state.token_signer = TokenSigner(settings.token_secret or await asyncio.to_thread(_shared_secret, app))
        app.state.allowed_origins = AllowedOrigins(app.state.sessions, ttl_s=settings.key_cache_seconds)
        if settings.demo_enabled:
            app.state.demo_tenant = await asyncio.to_thread(_demo_tenant, app)
        app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_storage)
        app.state.batcher = batcher = MicroBatcher(
            lambda turns: LiveCoach.warm(coach, turns),
            max_size=settings.batch_max_size,
            max_wait_s=settings.batch_max_wait_ms / 1000,
            on_batch=BATCH_SIZE.observe,
        )
        app.state.feed = feed = TurnFeed(app.state.sessions, poll_interval_s=settings.stream_poll_ms / 1000)
        app.state.dispatcher = dispatcher = Dispatcher(
            app.state.sessions,
            DispatchSettings(
                max_attempts=settings.callback_max_attempts,
                backoff_initial_s=settings.callback_backoff_initial_s,
                backoff_max_s=settings.callback_backoff_max_s,
                concurrency=settings.callback_concurrency,
                timeout_s=settings.callback_timeout_s,
            ),
        )
        app.state.live = live = LiveCoach(
            coach,
            app.state.sessions,
            app.state.redactor,
            batcher,
            feed,
            outbox=enqueue,
            on_outbox=dispatcher.notify,
            tag_while_waiting=settings.pii_tag_while_waiting,
        )
        await asyncio.to_thread(live.learn_stored_macros, settings.macro_warmup_turns)
        syncing = asyncio.create_task(_sync_macros(live, settings.macro_sync_seconds))
        app.state.inbox = inbox = Inbox(app.state.sessions, live)
        inboxing = asyncio.create_task(inbox.run()) if settings.webhook_inbox else None
        dispatching = asyncio.create_task(dispatcher.run()) if settings.callback_dispatch else None
        app.state.qa_worker = qa_worker = JobWorker(
            app.state.sessions, settings.qa_dir, JobScorer(lambda: _qa_coach(settings))
        )
        qa_jobs = asyncio.create_task(qa_worker.run()) if settings.qa_jobs else None
        freeze_startup_objects()
        yield
        gc.unfreeze()  # what the app built may be collected again (tests build many apps in one process)
        if qa_jobs is not None:
            qa_jobs.cancel()
            with suppress(asyncio.CancelledError):
                await qa_jobs
        if dispatching is not None:
            dispatching.cancel()
            with suppress(asyncio.CancelledError):
                await dispatching
        if inboxing is not None:
            inboxing.cancel()
            with suppress(asyncio.CancelledError):
                await inboxing
        syncing.cancel()
        with suppress(asyncio.CancelledError):
            await syncing
        await feed.close()
        await batcher.close()
        app.state.db.dispose()

    app = FastAPI(
        title="Coachline",
        version="0.1.0",
        lifespan=lifespan,
        description="Agent-assist coach: customer cues, agent checks, L.E.A.R.N. prompts.",
    )
    app.state.settings = settings
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(TenantOriginsCORS)
    register_exception_handlers(app)
    app.include_router(health.router)
    app.include_router(analyze.router)
    app.include_router(conversations.router)
    app.include_router(tokens.router)
    app.include_router(webhooks.router)
    app.include_router(callbacks.router)
    app.include_router(qa.router)
    app.include_router(pages.router)
    if settings.demo_enabled:
        app.include_router(pages.demo_router)
    app.mount("/widget", StaticFiles(directory=pages.STATIC), name="widget")
    return app
