"""Twilio Conversations (onMessageAdded webhooks): `X-Twilio-Signature` is the base64 HMAC-SHA1,
under the account's auth token, of the full URL followed by each POST parameter's name and value,
sorted by name; for a JSON body the URL carries `bodySHA256` and the signature covers the URL alone.
The message sid is the event id. Twilio marks no author as the customer, so a customer is an
author that is an outside address (a phone number, `whatsapp:`, `messenger:` ...) and every chat
identity is an agent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from urllib.parse import parse_qs, parse_qsl, urlsplit

from app.webhooks.adapters.base import (
    InboundEvent,
    InboundTurn,
    PayloadError,
    Request,
    SignatureError,
    load_json,
    require,
    same,
)

OUTSIDE_ADDRESS = re.compile(r"^(\+?\d[\d\s-]{5,}|(whatsapp|messenger|sms|gbm|rcs):.+)$", re.I)


def _params(request: Request) -> dict[str, str]:
    if "json" in request.content_type:
        data = load_json(request.body)
        if not isinstance(data, dict):
            raise PayloadError("expected a JSON object of Twilio event parameters")
        return {k: str(v) for k, v in data.items()}
    return dict(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))


class TwilioAdapter:
    name = "twilio"
    signature_headers = ("X-Twilio-Signature",)

    def verify(self, request: Request, secrets: Sequence[str], now: float | None = None) -> None:
        header = require(request.headers, "X-Twilio-Signature").strip()
        query = parse_qs(urlsplit(request.url).query)
        if "json" in request.content_type:
            body_hash = (query.get("bodySHA256") or [""])[0]
            if not same(hashlib.sha256(request.body).hexdigest(), body_hash):
                raise SignatureError("bodySHA256 in the URL does not match the JSON body")
            signed = request.url
        else:
            signed = request.url + "".join(k + v for k, v in sorted(_params(request).items()))
        for secret in secrets:
            mac = base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha1).digest())
            if same(mac, header):
                return
        raise SignatureError("X-Twilio-Signature does not match: is the webhook URL exactly the one Twilio calls?")

    def parse(self, request: Request) -> list[InboundEvent]:
        params = _params(request)
        sid = params.get("MessageSid") or params.get("EventSid") or params.get("ConversationSid")
        if not sid:
            raise PayloadError("expected Twilio Conversations event parameters (MessageSid, EventType, ...)")
        if params.get("EventType") != "onMessageAdded":
            return [InboundEvent(sid)]
        text = (params.get("Body") or "").strip()
        conversation = params.get("ConversationSid")
        if not text or not conversation:
            return [InboundEvent(sid)]
        author = params.get("Author") or ""
        role = "customer" if OUTSIDE_ADDRESS.match(author) else "agent"
        turn = InboundTurn(conversation, role, text, params.get("DateCreated"), author if role == "agent" else None)
        return [InboundEvent(sid, (turn,))]
