"""POST /v1/analyze: stateless analysis of one text (nothing stored)."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import BatcherDep, CoachDep, SettingsDep, TenantDep
from app.api.errors import ApiError, error_responses
from app.coaching.analysis import TurnAnalysis
from app.coaching.conversation import Turn

router = APIRouter(prefix="/v1", tags=["analysis"], responses=error_responses(400, 401, 403, 413, 422, 429))


class AnalyzeRequest(BaseModel):
    role: Literal["customer", "agent"] = "customer"
    text: str = Field(min_length=1, examples=["This is the third time I'm asking about my refund!"])


@router.post("/analyze", response_model=TurnAnalysis, summary="Analyse one text, statelessly")
async def analyze(
    body: AnalyzeRequest, coach: CoachDep, batcher: BatcherDep, settings: SettingsDep, tenant: TenantDep
) -> TurnAnalysis:
    if len(body.text) > settings.max_text_chars:
        limit = settings.max_text_chars
        message = f"text is {len(body.text)} characters; the limit is {limit} (COACHLINE_MAX_TEXT_CHARS)"
        raise ApiError(413, "text_too_long", message)
    turn = Turn(role=body.role, text=body.text)
    await batcher.submit((turn, None))  # shares forward passes with live traffic; no agent turn before it
    # Stateless: nothing learned either (the tenant's macro memory is fed by stored turns only).
    state = coach.new_state("stateless", tenant=tenant.id)
    return await asyncio.to_thread(coach.add_turn, state, turn, learn_macros=False)
