"""POST /v1/tokens: a short-lived browser token for one conversation (read, stream, draft checks),
asked for by the host page's backend with its tenant key, so that key never reaches a browser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.api.deps import SettingsDep, TenantDep, TokenSignerDep
from app.api.errors import error_responses
from app.tokens.service import SCOPES, BrowserToken, TokenSigner

router = APIRouter(prefix="/v1", tags=["tokens"], responses=error_responses(400, 401, 403, 422, 429))


class TokenIn(BaseModel):
    conversation_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$", examples=["chat-4471"])
    ttl_seconds: int | None = Field(
        None, ge=30, le=86400, description="lifetime; default COACHLINE_TOKEN_TTL_SECONDS (900)"
    )


class TokenOut(BaseModel):
    token: str = Field(
        description="send as 'Authorization: Bearer <token>', or WebSocket subprotocols ['coachline.bearer', <token>]"
    )
    expires_at: datetime
    conversation_id: str = Field(description="the conversation it opens (a prefix when `prefix` is true)")
    prefix: bool = False
    scopes: list[str] = Field(default_factory=lambda: list(SCOPES))


def token_out(signer: TokenSigner, token: BrowserToken) -> TokenOut:
    return TokenOut(
        token=signer.dumps(token),
        expires_at=datetime.fromtimestamp(token.expires_at, UTC),
        conversation_id=token.conversation_id,
        prefix=token.prefix,
    )


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=201,
    summary="A short-lived browser token for one conversation (read, stream, check drafts)",
    responses={401: {"description": "no or unknown tenant key"}, 403: {"description": "a browser token was sent"}},
)
async def create_token(
    body: Annotated[TokenIn, Body()], tenant: TenantDep, signer: TokenSignerDep, settings: SettingsDep
) -> TokenOut:
    ttl = body.ttl_seconds or settings.token_ttl_seconds
    return token_out(signer, signer.issue(tenant.id, body.conversation_id, ttl))
