"""/v1/conversations: thin routes over LiveCoach."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Query, Response, WebSocket, WebSocketDisconnect
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, BeforeValidator, Field

from app.api.deps import (
    CoachingTenantDep,
    ConversationId,
    FeedDep,
    LiveDep,
    SettingsDep,
    TenantDep,
    ViewerTenantDep,
    viewer_tenant,
    websocket_credentials,
)
from app.api.errors import ApiError, error_responses
from app.api.examples import request_examples, response_examples
from app.coaching.analysis import TurnAnalysis
from app.coaching.conversation import Turn
from app.metrics import STREAMED_TURNS
from app.settings import Settings

router = APIRouter(
    prefix="/v1/conversations",
    tags=["conversations"],
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 429),
)


def _time_as_text(value: object) -> object:
    """The schema says an ISO 8601 string: a bare number (a unix time?) is refused, not guessed at."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("give ts as an ISO 8601 string, e.g. 2026-11-26T09:12:44Z")
    return value


class TurnIn(BaseModel):
    role: Literal["customer", "agent", "system"]
    text: str = Field(min_length=1, examples=["I was charged twice for order 4471 and nobody answers my emails!"])
    ts: Annotated[datetime | None, BeforeValidator(_time_as_text)] = None
    agent_id: str | None = Field(None, max_length=128)


class DraftIn(BaseModel):
    text: str = Field(min_length=1, examples=["We apologize for the inconvenience."])


def _check_size(text: str, settings: Settings) -> None:
    if len(text) > settings.max_text_chars:
        message = (
            f"text is {len(text)} characters; the limit is {settings.max_text_chars} "
            "(COACHLINE_MAX_TEXT_CHARS): split the message or raise the limit"
        )
        raise ApiError(413, "text_too_long", message)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description=(
            "your id for this turn (e.g. the chat platform's message id): a retry with the same key "
            "returns the stored analysis (200) instead of adding the turn twice"
        ),
    ),
]


@router.post(
    "/{conversation_id}/turns",
    response_model=TurnAnalysis,
    status_code=201,
    summary="Add a turn; returns its analysis and the current suggestions",
    responses={
        201: {"content": {"application/json": {"examples": response_examples()}}},
        200: {"description": "a repeat of an Idempotency-Key: the stored analysis, nothing added"},
        401: {"description": "no or unknown key"},
        403: {"description": "read-only key"},
        409: {"description": "Idempotency-Key reused"},
        413: {"description": "text too long"},
        429: {"description": "rate limited"},
    },
)
async def add_turn(
    conversation_id: ConversationId,
    body: Annotated[TurnIn, Body(openapi_examples=request_examples())],
    tenant: CoachingTenantDep,
    live: LiveDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TurnAnalysis:
    _check_size(body.text, settings)
    added = await live.add_turn(tenant, conversation_id, Turn(**body.model_dump()), client_key=idempotency_key)
    response.headers["X-Turn-Seq"] = str(added.seq)
    if added.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return added.analysis


@router.get("/{conversation_id}", summary="Turns with analyses, sentiment trajectory, L.E.A.R.N. coverage")
async def get_conversation(conversation_id: ConversationId, tenant: ViewerTenantDep, live: LiveDep) -> dict:
    return await live.conversation(tenant, conversation_id)  # ConversationNotFound -> 404 (app/api/errors.py)


@router.post(
    "/{conversation_id}/draft",
    response_model=TurnAnalysis,
    summary="Check an agent's draft before it is sent; stores nothing",
)
async def check_draft(
    conversation_id: ConversationId, body: DraftIn, tenant: ViewerTenantDep, live: LiveDep, settings: SettingsDep
) -> TurnAnalysis:
    _check_size(body.text, settings)
    return await live.draft(tenant, conversation_id, body.text)


@router.get("/{conversation_id}/handoff", summary="Warm-transfer summary for the next agent")
async def handoff(conversation_id: ConversationId, tenant: TenantDep, live: LiveDep) -> dict:
    return await live.handoff(tenant, conversation_id)


WS_AUTH_HINT = "send 'Authorization: Bearer <key>' or subprotocols ['coachline.bearer', <browser token or live key>]"


async def _until_disconnect(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass  # the sidebar has nothing to say on this channel; pings are answered by the server


@router.websocket("/{conversation_id}/stream")
async def stream(
    websocket: WebSocket,
    conversation_id: ConversationId,
    feed: FeedDep,
    after: Annotated[int, Query(ge=-1, description="send stored turns with seq above this")] = -1,
) -> None:
    """Every turn stored in this conversation (first those after `after`, then each new one, from
    any worker, API or webhook) with its analysis and suggestions, as JSON messages. Authenticate
    with `Authorization: Bearer <key>` or, from a browser, subprotocols ["coachline.bearer", key].
    A browser token for this conversation works too. Closes with 4401 (no, bad or expired credentials),
    4403 (a token for another conversation, or an origin its tenant does not allow) or 4429 (rate
    limited), the reason saying what to fix."""
    secret, subprotocol = websocket_credentials(websocket)
    await websocket.accept(subprotocol=subprotocol)
    try:
        tenant = await viewer_tenant(websocket, secret, conversation_id)
    except ApiError as exc:
        # 4401: no, bad or expired credentials (refresh and reconnect); 4403: not for this
        # conversation or origin; 4429: rate limited. The reason says what to do (123 bytes at most).
        code = {401: 4401, 403: 4403, 429: 4429}.get(exc.status, 4400)
        reason = exc.message if exc.status != 401 or exc.code == "token_expired" else WS_AUTH_HINT
        await websocket.close(code=code, reason=reason.encode()[:123].decode(errors="ignore"))
        return
    await websocket.send_json({"type": "subscribed", "conversation_id": conversation_id, "after": after})
    turns = feed.subscribe(tenant.id, conversation_id, after)
    disconnected = asyncio.create_task(_until_disconnect(websocket))
    next_turn: asyncio.Future | None = None
    try:
        while True:
            next_turn = asyncio.ensure_future(anext(turns))
            done, _ = await asyncio.wait({next_turn, disconnected}, return_when=asyncio.FIRST_COMPLETED)
            if next_turn not in done:
                break
            await websocket.send_json(jsonable_encoder(next_turn.result()))
            STREAMED_TURNS.inc()
    except WebSocketDisconnect:
        pass
    finally:
        disconnected.cancel()
        if next_turn is not None and not next_turn.done():
            # The pending read must finish being cancelled before the generator can be closed
            # (closing it while it runs raised "aclose(): asynchronous generator is already running").
            next_turn.cancel()
            with suppress(asyncio.CancelledError, StopAsyncIteration):
                await next_turn
        await turns.aclose()
