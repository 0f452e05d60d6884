"""generic: `Coachline-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` over JSON
`{"event_id", "conversation_id", "role", "text", "ts"?, "agent_id"?}` or a list of them."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from app.webhooks.adapters.base import (
    InboundEvent,
    InboundTurn,
    PayloadError,
    Request,
    SignatureError,
    fresh,
    load_json,
    require,
    same,
)

ROLES = {"customer", "agent", "system"}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` (the outbound callbacks sign the same way)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class GenericAdapter:
    name = "generic"
    signature_headers = ("Coachline-Signature",)

    def verify(self, request: Request, secrets: Sequence[str], now: float | None = None) -> None:
        header = require(request.headers, "Coachline-Signature")
        parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
        if "t" not in parts or "v1" not in parts:
            raise SignatureError("Coachline-Signature must be t=<unix>,v1=<hex>")
        fresh(parts["t"], now, "the signature's t")
        for secret in secrets:
            expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + request.body, hashlib.sha256)
            if same(expected.hexdigest(), parts["v1"]):
                return
        raise SignatureError("Coachline-Signature does not match: sign 't.body' with the integration's secret")

    def parse(self, request: Request) -> list[InboundEvent]:
        data = load_json(request.body)
        items = data if isinstance(data, list) else [data]
        events = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise PayloadError(f"item {i}: expected an object")
            missing = [k for k in ("event_id", "conversation_id", "role", "text") if not isinstance(item.get(k), str)]
            if missing:
                raise PayloadError(f"item {i}: missing or non-string {', '.join(missing)}")
            if item["role"] not in ROLES:
                raise PayloadError(f"item {i}: role must be one of {sorted(ROLES)}")
            text = item["text"].strip()
            turns = (
                (InboundTurn(item["conversation_id"], item["role"], text, item.get("ts"), item.get("agent_id")),)
                if text
                else ()
            )
            events.append(InboundEvent(item["event_id"], turns))
        return events
