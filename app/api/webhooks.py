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

from app.api.deps import InboxDep, IntegrationCacheDep, SessionsDep
from app.api.errors import ApiError, error_responses
from app.storage.database import session_scope
from app.webhooks.adapters import ADAPTERS, PLATFORMS
from app.webhooks.adapters.base import InboundEvent, PayloadError, SignatureError
from app.webhooks.adapters.base import Request as SignedRequest
from app.webhooks.models import Integration
from app.webhooks.service import store_events, valid_secrets

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=error_responses(400, 401, 404, 413, 422, 503))
MAX_BODY = 1_000_000


class WebhookAck(BaseModel):
    received: int = Field(description="events in this delivery")
    stored: int = Field(description="new events stored for processing (or ignored: no chat message)")
    duplicates: list[str] = Field(description="event ids already received: acknowledged, not processed again")


EXAMPLES = {
    "generic": {
        "summary": "generic (Coachline-Signature: t=<unix>,v1=<hex HMAC-SHA256 of 't.body'>)",
        "value": {
            "event_id": "evt-991",
            "conversation_id": "chat-4471",
            "role": "customer",
            "text": "Still no refund.",
        },
    },
    "zendesk": {
        "summary": "zendesk: Sunshine Conversations v2 delivery (X-Zendesk-Webhook-Signature, -Timestamp)",
        "value": {
            "app": {"id": "5ebee0975ac5304b664a12fa"},
            "webhook": {"id": "5f74a0d52b5315fc007b7f1b", "version": "v2"},
            "events": [
                {
                    "id": "5f74a0d52b5315fc007b7f1a",
                    "createdAt": "2026-11-26T09:12:44.312Z",
                    "type": "conversation:message",
                    "payload": {
                        "conversation": {"id": "c93bb9c14dde8ffb94564eb3", "type": "personal"},
                        "message": {
                            "id": "5f74a0d52b5315fc007b7f19",
                            "received": "2026-11-26T09:12:44.312Z",
                            "author": {"type": "user", "userId": "6b1a2f", "displayName": "Priya"},
                            "content": {"type": "text", "text": "My order never arrived."},
                        },
                    },
                }
            ],
        },
    },
    "intercom": {
        "summary": "intercom: notification_event (X-Hub-Signature: sha1=<hex>)",
        "value": {
            "type": "notification_event",
            "id": "notif_2c1b5e7e",
            "topic": "conversation.user.replied",
            "data": {
                "item": {
                    "type": "conversation",
                    "id": "1911149811",
                    "conversation_parts": {
                        "conversation_parts": [
                            {
                                "part_type": "comment",
                                "body": "<p>Still waiting</p>",
                                "author": {"type": "user", "id": "u1"},
                            }
                        ]
                    },
                }
            },
        },
    },
}
TWILIO_EXAMPLE = (
    "EventType=onMessageAdded&ConversationSid=CH123&MessageSid=IM456&Author=%2B447700900123"
    "&Body=my+router+keeps+dropping&DateCreated=2026-11-26T09%3A12%3A44Z"
)


@router.post(
    "/{platform}",
    response_model=WebhookAck,
    summary="Receive a platform's webhook (generic, zendesk, intercom, twilio)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the platform's own payload, signed as its scheme says (see the examples)",
            "content": {
                "application/json": {"schema": {"type": "object"}, "examples": EXAMPLES},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object"},
                    "examples": {
                        "twilio": {"summary": "twilio: onMessageAdded (X-Twilio-Signature)", "value": TWILIO_EXAMPLE}
                    },
                },
            },
        }
    },
)
async def receive(
    platform: str,
    request: Request,
    sessions: SessionsDep,
    inbox: InboxDep,
    integrations: IntegrationCacheDep,
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
    # A platform sends every message of every chat to one integration: remembered for the key-cache TTL,
    # so the acknowledgement costs one database write, not a read and a write (a rotation or removal made
    # elsewhere takes effect within COACHLINE_KEY_CACHE_SECONDS).
    found = integrations.get(integration)
    if found is None:
        found = await asyncio.to_thread(_integration, sessions, integration)
        if found is not None:
            integrations.put(integration, found)
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
