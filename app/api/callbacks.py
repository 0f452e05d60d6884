"""/v1/callbacks: a tenant's outbound callback URLs (each analysed turn POSTed, signed like the generic
webhook scheme, from a durable outbox) and their delivery log."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CoachingTenantDep, SessionsDep, TenantDep
from app.api.errors import ApiError, error_responses
from app.api.types import UtcTime
from app.callbacks.service import add_callback, deliveries, get_callback, list_callbacks, remove_callback
from app.storage.database import session_scope

router = APIRouter(prefix="/v1/callbacks", tags=["callbacks"], responses=error_responses(400, 401, 403, 404, 422, 429))


class CallbackIn(BaseModel):
    url: str = Field(min_length=8, max_length=2048, pattern=r"^https?://", examples=["https://ops.example.com/coach"])
    filter: Literal["all", "flags", "cards"] = Field(
        "all", description="every turn, turns with agent flags, or with cards"
    )


class CallbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read straight off the stored row

    id: str
    url: str
    filter: str
    created_at: UtcTime


class NewCallback(CallbackOut):
    secret: str = Field(description="verifies Coachline-Signature on each event (shown once)")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    outbox_id: int
    attempt: int
    status_code: int | None
    latency_ms: float
    error: str | None
    at: UtcTime


@router.post("", response_model=NewCallback, status_code=201, summary="Register a callback URL")
async def create(body: CallbackIn, tenant: CoachingTenantDep, sessions: SessionsDep) -> NewCallback:
    def add() -> NewCallback:
        with session_scope(sessions) as session:
            return NewCallback.model_validate(add_callback(session, tenant.id, body.url, body.filter))

    return await asyncio.to_thread(add)


@router.get("", response_model=list[CallbackOut], summary="The tenant's callback URLs")
async def listing(tenant: TenantDep, sessions: SessionsDep) -> list[CallbackOut]:
    def read() -> list[CallbackOut]:
        with session_scope(sessions) as session:
            return [CallbackOut.model_validate(c) for c in list_callbacks(session, tenant.id)]

    return await asyncio.to_thread(read)


@router.delete("/{callback_id}", status_code=204, response_class=Response, summary="Stop a callback")
async def delete(callback_id: str, tenant: CoachingTenantDep, sessions: SessionsDep) -> Response:
    def remove() -> None:
        with session_scope(sessions) as session:
            remove_callback(session, callback_id, tenant.id)

    try:
        await asyncio.to_thread(remove)
    except LookupError as exc:
        raise ApiError(404, "callback_not_found", str(exc)) from exc
    return Response(status_code=204)


@router.get("/{callback_id}/deliveries", response_model=list[DeliveryOut], summary="The latest delivery attempts")
async def delivery_log(callback_id: str, tenant: TenantDep, sessions: SessionsDep) -> list[DeliveryOut]:
    def read() -> list[DeliveryOut]:
        with session_scope(sessions) as session:
            get_callback(session, callback_id, tenant.id)
            return [DeliveryOut.model_validate(d) for d in deliveries(session, callback_id)]

    try:
        return await asyncio.to_thread(read)
    except LookupError as exc:
        raise ApiError(404, "callback_not_found", f"no callback {callback_id!r}") from exc
