"""The pages a person opens: `/` (what this is, where to start), `/widget/*` (the embeddable
sidebar), and, when the demo is on, `/demo` with its own small backend: a token for the demo
tenant's `demo-*` conversations and a route that posts turns for the page, as a host page's
backend would."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from app.api.deps import DemoTenantDep, LiveDep, SettingsDep, TokenSignerDep
from app.api.errors import ApiError, error_responses
from app.api.tokens import TokenOut, token_out
from app.coaching.analysis import TurnAnalysis
from app.coaching.conversation import Turn

STATIC = Path(__file__).resolve().parents[1] / "widget" / "static"
DEMO_TENANT = "demo"
DEMO_PREFIX = "demo-"

router = APIRouter(include_in_schema=False)
demo_router = APIRouter(prefix="/demo", tags=["demo"], responses=error_responses(400, 403, 422))


@router.get("/", response_class=FileResponse)
async def landing() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@demo_router.get("", response_class=FileResponse, include_in_schema=False)
async def demo_page() -> FileResponse:
    return FileResponse(STATIC / "demo.html", media_type="text/html")


DemoConversationId = Annotated[
    str, Query(min_length=len(DEMO_PREFIX) + 1, max_length=128, pattern=rf"^{DEMO_PREFIX}[A-Za-z0-9_.:@-]+$")
]


@demo_router.get("/token", response_model=TokenOut, summary="A token for the demo tenant's demo-* conversations")
async def demo_token(signer: TokenSignerDep, settings: SettingsDep, conversation_id: DemoConversationId) -> TokenOut:
    return token_out(signer, signer.issue(DEMO_TENANT, DEMO_PREFIX, settings.token_ttl_seconds, prefix=True))


class DemoTurnIn(BaseModel):
    role: Literal["customer", "agent"]
    text: str = Field(min_length=1, max_length=4000)


@demo_router.post(
    "/conversations/{conversation_id}/turns",
    response_model=TurnAnalysis,
    status_code=201,
    summary="Add a turn to a demo conversation (the demo page's backend)",
)
async def demo_turn(
    conversation_id: str, body: Annotated[DemoTurnIn, Body()], live: LiveDep, tenant: DemoTenantDep
) -> TurnAnalysis:
    if not conversation_id.startswith(DEMO_PREFIX) or len(conversation_id) > 128:
        raise ApiError(403, "not_a_demo_conversation", f"demo conversations start with {DEMO_PREFIX!r}")
    added = await live.add_turn(tenant, conversation_id, Turn(**body.model_dump()))
    return added.analysis
