"""POST /v1/webhooks/{platform}?integration=<id>: a platform pushes chat messages. The signature is
checked on the raw body, each event is stored under its (tenant, platform, event id) and the answer
goes back at once; the turns are analysed in the background (app/webhooks/service.py), in order."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.api.deps import InboxDep, SessionsDep
from app.api.errors import ApiError
from app.storage.database import session_scope
from app.webhooks.adapters import ADAPTERS, PLATFORMS
from app.webhooks.adapters.base import InboundEvent, PayloadError, SignatureError
from app.webhooks.adapters.base import Request as SignedRequest
from app.webhooks.models import Integration
from app.webhooks.service import store_events, valid_secrets

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
MAX_BODY = 1_000_000


class WebhookAck(BaseModel):
    received: int = Field(description="events in this delivery")
    stored: int = Field(description="new events stored for processing (or ignored: no chat message)")
    duplicates: list[str] = Field(description="event ids already received: acknowledged, not processed again")


@router.post(
    "/{platform}",
    response_model=WebhookAck,
    summary="Receive a platform's webhook (generic, zendesk, intercom, twilio)",
    responses={
        400: {"description": "the body is not this platform's event (the reason says why)"},
        401: {"description": "missing, wrong or stale signature: not retried by well-behaved platforms"},
        404: {"description": "unknown platform or integration"},
        413: {"description": "body over 1 MB"},
        503: {"description": "the event could not be stored: retry"},
    },
)
async def receive(
    platform: str,
    request: Request,
    sessions: SessionsDep,
    inbox: InboxDep,
    integration: Annotated[
        str, Query(min_length=1, max_length=32, description="the id `coach integrations add` printed")
    ],
) -> WebhookAck:
    adapter = ADAPTERS.get(platform)
    if adapter is None:
        raise ApiError(404, "unknown_platform", f"no platform {platform!r}: one of {', '.join(PLATFORMS)}")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ApiError(413, "body_too_large", f"webhook bodies are limited to {MAX_BODY} bytes")
    found = await asyncio.to_thread(_integration, sessions, integration)
    if found is None or found.platform != platform:
        raise ApiError(
            404, "unknown_integration", f"no {platform} integration {integration!r}: see coach integrations list"
        )
    signed = SignedRequest(
        body=body,
        headers={k.lower(): v for k, v in request.headers.items()},
        url=str(request.url),
        content_type=request.headers.get("content-type", ""),
    )
    try:
        adapter.verify(signed, valid_secrets(found))
    except SignatureError as exc:
        raise ApiError(401, "bad_signature", str(exc)) from exc
    try:
        events: list[InboundEvent] = adapter.parse(signed)
    except PayloadError as exc:
        raise ApiError(400, "bad_payload", str(exc)) from exc
    try:
        duplicates = await asyncio.to_thread(_store, sessions, found, events)
    except SQLAlchemyError as exc:  # our failure: a 5xx, so the platform delivers it again
        raise ApiError(503, "not_stored", "the event could not be stored; it will be accepted on retry") from exc
    inbox.notify()
    return WebhookAck(received=len(events), stored=len(events) - len(duplicates), duplicates=duplicates)


def _integration(sessions: sessionmaker[Session], integration_id: str) -> Integration | None:
    with session_scope(sessions) as session:
        return session.get(Integration, integration_id)


def _store(sessions: sessionmaker[Session], integration: Integration, events: list[InboundEvent]) -> list[str]:
    with session_scope(sessions) as session:
        return store_events(session, integration, events)
