"""/v1/conversations: thin routes over LiveCoach."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from app.api.deps import SettingsDep, TenantDep
from app.api.errors import ApiError
from app.coaching.analysis import TurnAnalysis
from app.coaching.conversation import Turn
from app.conversations.live import LiveCoach
from app.settings import Settings

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])
ConversationId = Annotated[
    str,
    Path(min_length=1, max_length=128, pattern=r"^[\w.:@-]+$",
         description="your id for the conversation (letters, digits, _ . : @ -)"),
]  # fmt: skip


def get_live(request: Request) -> LiveCoach:
    return request.app.state.live


LiveDep = Annotated[LiveCoach, Depends(get_live)]


class TurnIn(BaseModel):
    role: Literal["customer", "agent", "system"]
    text: str = Field(min_length=1, examples=["I was charged twice for order 4471 and nobody answers my emails!"])
    ts: datetime | None = None
    agent_id: str | None = Field(None, max_length=128)


class DraftIn(BaseModel):
    text: str = Field(min_length=1, examples=["We apologize for the inconvenience."])


def _check_size(text: str, settings: Settings) -> None:
    if len(text) > settings.max_text_chars:
        raise ApiError(413, "text_too_long", f"text is {len(text)} characters; the limit is {settings.max_text_chars} "
                       "(COACHLINE_MAX_TEXT_CHARS): split the message or raise the limit")  # fmt: skip


@router.post("/{conversation_id}/turns", response_model=TurnAnalysis, status_code=201,
             summary="Add a turn; returns its analysis and the current suggestions")  # fmt: skip
async def add_turn(conversation_id: ConversationId, body: TurnIn, tenant: TenantDep, live: LiveDep,
                   settings: SettingsDep) -> TurnAnalysis:  # fmt: skip
    _check_size(body.text, settings)
    return await live.add_turn(tenant, conversation_id, Turn(**body.model_dump()))


@router.get("/{conversation_id}", summary="Turns with analyses, sentiment trajectory, L.E.A.R.N. coverage")
def get_conversation(conversation_id: ConversationId, tenant: TenantDep, live: LiveDep) -> dict:
    return live.conversation(tenant, conversation_id)  # ConversationNotFound -> 404 (app/api/errors.py)


@router.post("/{conversation_id}/draft", response_model=TurnAnalysis,
             summary="Check an agent's draft before it is sent; stores nothing")  # fmt: skip
async def check_draft(conversation_id: ConversationId, body: DraftIn, tenant: TenantDep, live: LiveDep,
                      settings: SettingsDep) -> TurnAnalysis:  # fmt: skip
    _check_size(body.text, settings)
    return await live.draft(tenant, conversation_id, body.text)


@router.get("/{conversation_id}/handoff", summary="Warm-transfer summary for the next agent")
def handoff(conversation_id: ConversationId, tenant: TenantDep, live: LiveDep) -> dict:
    return live.handoff(tenant, conversation_id)
