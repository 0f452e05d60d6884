"""Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client secret, body)>` (no timestamp in the scheme).
Notifications of topics conversation.user.created / user.replied / admin.replied / admin.noted carry
the conversation; the message is the newest conversation part (or the source for a new one). Author
type `user` or `lead` is the customer; `admin` and `bot` are agents (admin id kept). Notes are
internal and ignored."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from html import unescape

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

CUSTOMER_AUTHORS = {"user", "lead", "contact"}
MESSAGE_PARTS = {"comment", "open", "close", "assignment"}
TAG = re.compile(r"<[^>]+>")
BLOCK_END = re.compile(r"<br\s*/?>|</(p|div|li)>", re.I)


def plain(html_text: str) -> str:
    """Intercom sends message bodies as HTML: '<p>Hi <b>there</b></p>' -> 'Hi there'."""
    text = BLOCK_END.sub("\n", html_text)
    text = re.sub(r"[ \t]+", " ", unescape(TAG.sub("", text)))
    return re.sub(r" *\n[ \n]*", "\n", text).strip()


class IntercomAdapter:
    name = "intercom"
    signature_headers = ("X-Hub-Signature",)

    def verify(self, request: Request, secrets: Sequence[str], now: float | None = None) -> None:
        header = require(request.headers, "X-Hub-Signature")
        for secret in secrets:
            expected = "sha1=" + hmac.new(secret.encode(), request.body, hashlib.sha1).hexdigest()
            if same(expected, header.strip()):
                return
        raise SignatureError("X-Hub-Signature does not match the app's client secret")

    def parse(self, request: Request) -> list[InboundEvent]:
        data = load_json(request.body)
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or "topic" not in data:
            raise PayloadError("expected an Intercom notification_event with 'id' and 'topic'")
        item = (data.get("data") or {}).get("item") or {}
        return [InboundEvent(data["id"], _turns(data["topic"], item))]


def _turns(topic: str, item: dict) -> tuple[InboundTurn, ...]:
    if not topic.startswith("conversation.") or topic.endswith(".noted") or item.get("type") != "conversation":
        return ()
    parts = ((item.get("conversation_parts") or {}).get("conversation_parts")) or []
    message = next((p for p in reversed(parts) if p.get("part_type") in MESSAGE_PARTS and p.get("body")), None)
    if message is None:
        message = item.get("source") or {}
    text = plain(message.get("body") or "")
    author = message.get("author") or {}
    if not text or not item.get("id"):
        return ()
    role = "customer" if author.get("type") in CUSTOMER_AUTHORS else "agent"
    agent_id = str(author.get("id")) if role == "agent" and author.get("id") else None
    ts = message.get("created_at") or item.get("updated_at")
    return (InboundTurn(str(item["id"]), role, text, _iso(ts), agent_id),)


def _iso(ts) -> str | None:
    if isinstance(ts, int | float):
        from datetime import UTC, datetime

        return datetime.fromtimestamp(ts, UTC).isoformat()
    return ts if isinstance(ts, str) else None
