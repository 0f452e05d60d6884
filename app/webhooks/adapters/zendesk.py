"""Zendesk (Sunshine Conversations webhooks, v2 payloads): `X-Zendesk-Webhook-Signature` is the
base64 HMAC-SHA256 of timestamp + body under the webhook's signing secret, the timestamp in
`X-Zendesk-Webhook-Signature-Timestamp` (ISO 8601 or unix). A delivery carries `events`; a
`conversation:message` event with text content is a turn: author type `user` is the customer,
`business` an agent (its userId or displayName kept as the agent id)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime

from app.webhooks.adapters.base import (
    InboundEvent,
    InboundTurn,
    PayloadError,
    Request,
    SignatureError,
    fresh,
    require,
    same,
)


class ZendeskAdapter:
    name = "zendesk"
    signature_headers = ("X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp")

    def verify(self, request: Request, secrets: Sequence[str], now: float | None = None) -> None:
        signature = require(request.headers, "X-Zendesk-Webhook-Signature")
        timestamp = require(request.headers, "X-Zendesk-Webhook-Signature-Timestamp")
        fresh(_unix(timestamp), now, "X-Zendesk-Webhook-Signature-Timestamp")
        for secret in secrets:
            mac = hmac.new(secret.encode(), timestamp.encode() + request.body, hashlib.sha256).digest()
            if same(base64.b64encode(mac), signature.strip()):
                return
        raise SignatureError("X-Zendesk-Webhook-Signature does not match the webhook's signing secret")

    def parse(self, request: Request) -> list[InboundEvent]:
        try:
            data = json.loads(request.body)
            raw_events = data["events"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError("expected a Sunshine Conversations delivery: {'events': [...]}") from exc
        events = []
        for i, event in enumerate(raw_events):
            if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                raise PayloadError(f"events[{i}]: expected an object with a string id")
            events.append(InboundEvent(event["id"], _turns(event)))
        return events


def _turns(event: dict) -> tuple[InboundTurn, ...]:
    if event.get("type") != "conversation:message":
        return ()
    payload = event.get("payload") or {}
    message = payload.get("message") or {}
    content = message.get("content") or {}
    text = (content.get("text") or "").strip() if content.get("type") == "text" else ""
    conversation = (payload.get("conversation") or {}).get("id")
    if not text or not conversation:
        return ()
    author = message.get("author") or {}
    role = "customer" if author.get("type") == "user" else "agent"
    agent_id = (author.get("userId") or author.get("displayName")) if role == "agent" else None
    return (InboundTurn(conversation, role, text, message.get("received") or event.get("createdAt"), agent_id),)


def _unix(timestamp: str) -> str:
    try:
        return str(float(timestamp))
    except ValueError:
        try:
            return str(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())
        except ValueError as exc:
            raise SignatureError(f"X-Zendesk-Webhook-Signature-Timestamp is not a time: {timestamp!r}") from exc
