"""Dependencies: the objects built once in the lifespan, reached through `app.state`.

Routes reach `app.state` only through the accessors here (app/main.py sets it). Each takes an
`HTTPConnection`, which both `Request` and `WebSocket` are, so HTTP and WebSocket routes share them.
The trivial ones are `async def`: FastAPI runs a plain `def` dependency in its thread pool, a
thread hop per dependency per request for what is an attribute read."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Request, WebSocket
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from app.api.errors import ApiError
from app.api.ratelimit import RateLimiter
from app.batching import MicroBatcher
from app.coaching.engine import CoachingEngine
from app.conversations.feed import TurnFeed
from app.conversations.live import LiveCoach, WarmItem
from app.settings import Settings
from app.storage.database import session_scope
from app.tenants.models import ApiKey, Tenant
from app.tenants.service import KeyCache, authenticate
from app.tokens.service import PREFIX as TOKEN_PREFIX
from app.tokens.service import BrowserToken, TokenError, TokenSigner
from app.webhooks.models import Integration
from app.webhooks.service import Inbox

_bearer = HTTPBearer(auto_error=False)
ConversationId = Annotated[
    str,
    PathParam(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:@-]+$",
        description="your id for the conversation (letters, digits, _ . : @ -)",
    ),
]


async def get_settings(connection: HTTPConnection) -> Settings:
    return connection.app.state.settings


async def get_coach(connection: HTTPConnection) -> CoachingEngine:
    return connection.app.state.coach


async def get_loaded_coach(connection: HTTPConnection) -> CoachingEngine | None:
    """The engine, or None while the lifespan has not built it (GET /readyz reports which)."""
    return getattr(connection.app.state, "coach", None)


async def get_db(connection: HTTPConnection) -> Engine | None:
    """The database engine, or None while the lifespan has not built it (GET /readyz reports which)."""
    return getattr(connection.app.state, "db", None)


async def get_live(connection: HTTPConnection) -> LiveCoach:
    return connection.app.state.live


async def get_batcher(connection: HTTPConnection) -> MicroBatcher[WarmItem, None]:
    return connection.app.state.batcher


async def get_feed(connection: HTTPConnection) -> TurnFeed:
    return connection.app.state.feed


async def get_rate_limiter(connection: HTTPConnection) -> RateLimiter:
    return connection.app.state.rate_limiter


SettingsDep = Annotated[Settings, Depends(get_settings)]
CoachDep = Annotated[CoachingEngine, Depends(get_coach)]
LoadedCoachDep = Annotated[CoachingEngine | None, Depends(get_loaded_coach)]
DatabaseDep = Annotated[Engine | None, Depends(get_db)]
LiveDep = Annotated[LiveCoach, Depends(get_live)]
BatcherDep = Annotated[MicroBatcher[WarmItem, None], Depends(get_batcher)]
FeedDep = Annotated[TurnFeed, Depends(get_feed)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


async def get_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "send 'Authorization: Bearer <key>' (create one: coach keys create)")
    if credentials.credentials.startswith(TOKEN_PREFIX):
        raise ApiError(
            403,
            "browser_token_not_allowed",
            "a browser token only reads, streams and checks drafts of its conversation; "
            "this call needs the tenant key, from your backend",
        )
    return await _checked_key(request.app.state, credentials.credentials)


async def _checked_key(state: Any, secret: str) -> ApiKey:
    """The live key for `secret`, rate-limited; 401 when it is unknown or revoked."""
    key = await _live_key(state, secret)
    if key is None:
        raise ApiError(
            401, "invalid_key", "this API key is unknown or revoked; create a new one with coach keys create"
        )
    state.rate_limiter.check(key.id)
    return key


async def _live_key(state: Any, secret: str) -> ApiKey | None:
    """The key for `secret`: from the key cache, else one short database look-up off the event loop."""
    key = state.key_cache.get(secret)
    if key is None:
        key = await asyncio.to_thread(_authenticate, state.sessions, secret)
        if key is not None:
            state.key_cache.put(secret, key)
    return key


def _authenticate(sessions: sessionmaker[Session], secret: str) -> ApiKey | None:
    # A short session of its own, closed before the route runs. A yield-dependency session would
    # keep its pooled connection until the response is sent while the turn's storage asks for a
    # second one: under load every connection is held by a request waiting for another (the
    # pool deadlocks and requests fail after its timeout). Sessions don't expire on commit, so
    # the key and its tenant stay readable once loaded.
    with session_scope(sessions) as session:
        key = authenticate(session, secret)
        if key is not None:
            _ = key.tenant  # load it now, while the session is open
    return key


ApiKeyDep = Annotated[ApiKey, Depends(get_api_key)]


async def get_tenant(key: ApiKeyDep) -> Tenant:
    return key.tenant


async def get_coaching_tenant(key: ApiKeyDep) -> Tenant:
    """The tenant of a key allowed to add turns (scope "coach")."""
    if key.scope != "coach":
        message = f"key {key.id} is read-only; add turns with a key made by `coach keys create` without --read-only"
        raise ApiError(403, "read_only_key", message)
    return key.tenant


TenantDep = Annotated[Tenant, Depends(get_tenant)]
CoachingTenantDep = Annotated[Tenant, Depends(get_coaching_tenant)]


async def get_token_signer(connection: HTTPConnection) -> TokenSigner:
    return connection.app.state.token_signer


TokenSignerDep = Annotated[TokenSigner, Depends(get_token_signer)]


async def get_sessions(connection: HTTPConnection) -> sessionmaker[Session]:
    return connection.app.state.sessions


async def get_inbox(connection: HTTPConnection) -> Inbox:
    return connection.app.state.inbox


async def get_integration_cache(connection: HTTPConnection) -> KeyCache[Integration]:
    return connection.app.state.integration_cache


SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
IntegrationCacheDep = Annotated[KeyCache[Integration], Depends(get_integration_cache)]
InboxDep = Annotated[Inbox, Depends(get_inbox)]


async def get_demo_tenant(connection: HTTPConnection) -> Tenant:
    return connection.app.state.demo_tenant


DemoTenantDep = Annotated[Tenant, Depends(get_demo_tenant)]


async def viewer_tenant(connection: HTTPConnection, secret: str | None, conversation_id: str) -> Tenant:
    """Who may read, stream or check drafts of `conversation_id`: a tenant key, or a browser
    token for this conversation used from an origin its tenant allows (or the service's own)."""
    if secret is None:
        raise ApiError(401, "unauthenticated", "send 'Authorization: Bearer <key or browser token>'")
    state = connection.app.state
    if not secret.startswith(TOKEN_PREFIX):
        return (await _checked_key(state, secret)).tenant
    try:
        token = state.token_signer.loads(secret)
    except TokenError as exc:
        raise ApiError(401, exc.code, exc.message) from exc
    if not token.covers(conversation_id):
        raise ApiError(
            403,
            "token_out_of_scope",
            f"this browser token is for conversation {token.conversation_id!r}"
            f"{' (and ids starting so)' if token.prefix else ''}, not {conversation_id!r}: ask for a token for it",
        )
    tenant = await _token_tenant(state, token)
    origin = connection.headers.get("origin")
    if origin and origin != own_origin(connection) and origin not in tenant.origins():
        raise ApiError(
            403,
            "origin_not_allowed",
            f"pages on {origin} may not use tenant {tenant.id!r}'s tokens: allow the origin with "
            f"`coach keys origins --tenant {tenant.id} --add {origin}`",
        )
    state.rate_limiter.check(f"token:{token.tenant_id}:{conversation_id}")
    return tenant


def own_origin(connection: HTTPConnection) -> str:
    """This service's own origin as the browser saw it (scheme://host[:port])."""
    scheme = {"ws": "http", "wss": "https"}.get(connection.url.scheme, connection.url.scheme)
    return f"{scheme}://{connection.headers.get('host', connection.url.netloc)}"


async def _token_tenant(state: Any, token: BrowserToken) -> Tenant:
    cached = state.tenant_cache.get(token.tenant_id)
    if cached is not None:
        return cached
    tenant = await asyncio.to_thread(_load_tenant, state.sessions, token.tenant_id)
    if tenant is None:
        raise ApiError(401, "invalid_token", f"tenant {token.tenant_id!r} no longer exists")
    state.tenant_cache.put(token.tenant_id, tenant)
    return tenant


def _load_tenant(sessions: sessionmaker[Session], tenant_id: str) -> Tenant | None:
    with session_scope(sessions) as session:
        return session.get(Tenant, tenant_id)


async def get_viewer_tenant(
    request: Request,
    conversation_id: ConversationId,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Tenant:
    return await viewer_tenant(request, credentials.credentials if credentials else None, conversation_id)


ViewerTenantDep = Annotated[Tenant, Depends(get_viewer_tenant)]


BEARER_SUBPROTOCOL = "coachline.bearer"  # browsers can't set headers on WebSockets: ["coachline.bearer", key]


def websocket_credentials(websocket: WebSocket) -> tuple[str | None, str | None]:
    """(the bearer key, the subprotocol to accept) from the Authorization header or the
    `coachline.bearer` subprotocol pair. Never from the URL: URLs end up in access logs."""
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), None
    offered = list(websocket.scope.get("subprotocols") or [])
    if BEARER_SUBPROTOCOL in offered:
        position = offered.index(BEARER_SUBPROTOCOL)
        if position + 1 < len(offered):
            return offered[position + 1], BEARER_SUBPROTOCOL
    return None, None


async def authenticate_websocket(websocket: WebSocket, secret: str) -> ApiKey | None:
    return await _live_key(websocket.app.state, secret)
