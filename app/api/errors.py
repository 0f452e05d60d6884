"""Every error leaves as JSON `{"error": {"code", "message", "details"?}}`; registered in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    """A refusal the caller can act on: status, a short code and what to fix."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


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
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            _body(f"http_{exc.status_code}", str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
