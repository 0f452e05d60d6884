"""CORS for browser tokens, per tenant: a page on an origin some tenant allows (`coach keys
origins`) may call the API; none is allowed by default. Starlette's CORSMiddleware takes one fixed
list at start-up, and ours lives in the database and changes at run time, so this small ASGI
middleware answers preflights and adds the headers itself. Which tenant's tokens an origin may use
is checked per request where the token is read (`app.api.deps.viewer_tenant`)."""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_METHODS = "GET, POST"
ALLOW_HEADERS = "authorization, content-type"


class TenantOriginsCORS:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed = getattr(scope["app"].state, "allowed_origins", None) if "app" in scope else None
        if origin is None or allowed is None or origin == _own_origin(scope, headers):
            await self.app(scope, receive, send)
            return
        if allowed.stale():
            await asyncio.to_thread(allowed.refresh)
        permitted = origin in allowed
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            response: Response = (
                Response(status_code=204, headers=_cors_headers(origin) | {"Access-Control-Max-Age": "600"})
                if permitted
                else PlainTextResponse(
                    f"origin {origin} is not allowed: `coach keys origins --tenant T --add {origin}`", status_code=403
                )
            )
            await response(scope, receive, send)
            return
        if not permitted:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(_cors_headers(origin))
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Vary": "Origin",
    }


def _own_origin(scope: Scope, headers: Headers) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
