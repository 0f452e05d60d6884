"""Every error leaves as JSON `{"error": {"code", "message", "details"?}}`; registered in one place."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    """A refusal the caller can act on: status, a short code and what to fix."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class ErrorDetail(BaseModel):
    code: str = Field(description="a short, stable code, e.g. invalid_key, token_expired, bad_signature")
    message: str = Field(description="what went wrong and what to do about it")
    details: list[dict] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_MEANINGS = {
    400: "the body is not valid JSON (or not this platform's event)",
    401: "no, unknown, revoked or expired credentials",
    403: "the key or token may not do this (read-only key, browser token, origin, scope)",
    404: "no such conversation, callback, integration or platform",
    409: "conflict: idempotency key reused, the conversation is busy, or the job is not done",
    413: "text, body or upload too large",
    415: "the body's Content-Type is not one this route reads",
    422: "a field is missing or invalid (details name it)",
    429: "rate limited: retry after the Retry-After header",
    503: "not stored: retry",
}


def error_responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI `responses` for these error statuses, all with the one error body."""
    return {code: {"model": ErrorBody, "description": ERROR_MEANINGS[code]} for code in codes}


def _body(code: str, message: str, details: list | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def register_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)

    from app.conversations.live import ConversationBusy, ConversationNotFound, IdempotencyConflict

    @app.exception_handler(ConversationNotFound)
    async def not_found(_: Request, exc: ConversationNotFound) -> JSONResponse:
        message = f"no conversation {exc.args[0]!r} for this API key's tenant"
        return JSONResponse(_body("conversation_not_found", message), status_code=404)

    @app.exception_handler(IdempotencyConflict)
    async def key_reused(_: Request, exc: IdempotencyConflict) -> JSONResponse:
        message = (
            f"Idempotency-Key {exc.args[0]!r} was already used in this conversation for a different turn; "
            "send a new key for a new turn, or the same body to get the stored analysis"
        )
        return JSONResponse(_body("idempotency_key_reused", message), status_code=409)

    @app.exception_handler(ConversationBusy)
    async def busy(_: Request, exc: ConversationBusy) -> JSONResponse:
        message = f"conversation {exc.args[0]!r} kept changing while this turn was added; retry the request"
        return JSONResponse(_body("conversation_busy", message), status_code=409, headers={"Retry-After": "1"})

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "problem": e["msg"]} for e in exc.errors()
        ]
        summary = "; ".join(f"{d['field'] or 'body'}: {d['problem']}" for d in details)
        return JSONResponse(_body("invalid_request", f"fix the request: {summary}", details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette's Allow names the methods of the first route that matched the path; a path
            # served by several routes (GET and POST /v1/callbacks) supports all of theirs.
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path)) or headers.get("Allow", "")
        return JSONResponse(
            _body(f"http_{exc.status_code}", str(exc.detail)), status_code=exc.status_code, headers=headers or None
        )


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every documented method of the path templates that `path` fits."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            methods |= {m.upper() for m in operations if m in {"get", "post", "put", "patch", "delete"}}
    return sorted(methods)
