"""One small interface per platform: verify the signature on the raw body, then parse the body into
events, each with the platform's own event id and the chat turns it carries (none for events that
carry no chat message: those are acknowledged and ignored)."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

STALE_AFTER_S = 300  # a signed timestamp older (or newer) than this is refused: a replayed request


class SignatureError(Exception):
    """The request is not from the platform (401, no retry)."""


class PayloadError(Exception):
    """The body can't be read as this platform's event (400 with the reason)."""


@dataclass(frozen=True)
class InboundTurn:
    conversation_id: str
    role: str  # "customer" or "agent"
    text: str
    ts: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    event_id: str
    turns: tuple[InboundTurn, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Request:
    """What an adapter may look at: the raw body, the headers, the full URL the platform called."""

    body: bytes
    headers: Mapping[str, str]  # lower-case names
    url: str
    content_type: str = ""


class PlatformAdapter(Protocol):
    name: str
    signature_headers: tuple[str, ...]

    def verify(self, request: Request, secrets: Sequence[str], now: float | None = None) -> None:
        """Raise SignatureError unless one of `secrets` signed this request (constant-time compare)."""

    def parse(self, request: Request) -> list[InboundEvent]:
        """The events in this request, in the platform's order; PayloadError when it can't be read."""


def load_json(body: bytes) -> object:
    """The body as JSON, or PayloadError saying why it is not."""
    try:
        return json.loads(body)
    except ValueError as exc:
        raise PayloadError(f"body is not JSON: {exc}") from exc


def same(expected: str | bytes, given: str | bytes) -> bool:
    """Constant-time comparison, whatever the inputs' types."""
    a = expected.encode() if isinstance(expected, str) else expected
    b = given.encode() if isinstance(given, str) else given
    return hmac.compare_digest(a, b)


def fresh(timestamp: str, now: float | None, what: str) -> None:
    try:
        sent = float(timestamp)
    except ValueError as exc:
        raise SignatureError(f"{what} is not a unix time: {timestamp!r}") from exc
    skew = abs((now if now is not None else time.time()) - sent)
    if skew > STALE_AFTER_S:
        raise SignatureError(f"{what} is {skew:.0f} s away from now (more than {STALE_AFTER_S} s): a replay?")


def require(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if not value:
        raise SignatureError(f"missing {name} header")
    return value
