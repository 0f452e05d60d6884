"""Short-lived browser tokens: a tenant's backend asks for one (`POST /v1/tokens`, with its tenant
key) and hands it to the agent's browser, so the tenant key never sits in a page. A token is
scoped to one conversation (or, for the demo, to a conversation-id prefix) and may only read,
stream and check drafts, until it expires.

Signed with itsdangerous (HMAC-SHA256) under a secret every worker shares: COACHLINE_TOKEN_SECRET,
or a random one made once and kept in the database."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.tenants.models import ServerSecret

PREFIX = "clt."  # tells a browser token from a tenant key at a glance (and in error messages)
SCOPES = ("read", "stream", "draft")
SECRET_NAME = "browser_token_secret"


class TokenError(Exception):
    """Why a token was refused: `code` is `token_expired` (ask for a new one) or `invalid_token`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BrowserToken:
    tenant_id: str
    conversation_id: str  # the one conversation, or a prefix when `prefix` is set
    expires_at: float  # unix seconds
    prefix: bool = False

    def covers(self, conversation_id: str) -> bool:
        if self.prefix:
            return conversation_id.startswith(self.conversation_id)
        return conversation_id == self.conversation_id


class TokenSigner:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt="coachline.browser-token")

    def issue(self, tenant_id: str, conversation_id: str, ttl_seconds: int, *, prefix: bool = False) -> BrowserToken:
        return BrowserToken(tenant_id, conversation_id, time.time() + ttl_seconds, prefix)

    def dumps(self, token: BrowserToken) -> str:
        payload = {"t": token.tenant_id, "c": token.conversation_id, "e": int(token.expires_at), "p": token.prefix}
        return PREFIX + self._serializer.dumps(payload)

    def loads(self, value: str, now: float | None = None) -> BrowserToken:
        if not value.startswith(PREFIX):
            raise TokenError("invalid_token", "not a browser token")
        try:
            payload = self._serializer.loads(value[len(PREFIX) :])
        except BadSignature as exc:
            raise TokenError(
                "invalid_token", "this browser token is not valid here: ask the page's backend for a new one"
            ) from exc
        token = BrowserToken(payload["t"], payload["c"], float(payload["e"]), bool(payload.get("p", False)))
        if (now if now is not None else time.time()) >= token.expires_at:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(token.expires_at))
            raise TokenError(
                "token_expired",
                f"this browser token expired at {stamp}: ask the page's backend for a new one (POST /v1/tokens)",
            )
        return token


def shared_secret(session: Session) -> str:
    """The signing secret kept in the database, made on first use; a concurrent first start by
    another worker wins the insert and both read its value."""
    found = session.get(ServerSecret, SECRET_NAME)
    if found is not None:
        return found.value
    session.add(ServerSecret(name=SECRET_NAME, value=secrets.token_urlsafe(48)))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
    found = session.get(ServerSecret, SECRET_NAME)
    assert found is not None
    return found.value
