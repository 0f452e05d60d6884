"""Dependencies: the objects built once in the lifespan, reached through `app.state`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.api.errors import ApiError
from app.coaching.engine import CoachingEngine
from app.settings import Settings
from app.storage.database import session_scope
from app.tenants.models import Tenant
from app.tenants.service import authenticate

_bearer = HTTPBearer(auto_error=False)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_coach(request: Request) -> CoachingEngine:
    return request.app.state.coach


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.sessions) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
CoachDep = Annotated[CoachingEngine, Depends(get_coach)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_tenant(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Tenant:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "send 'Authorization: Bearer <key>' (create one: coach keys create)")
    key = authenticate(session, credentials.credentials)
    if key is None:
        raise ApiError(
            401, "invalid_key", "this API key is unknown or revoked; create a new one with coach keys create"
        )
    return key.tenant


TenantDep = Annotated[Tenant, Depends(get_tenant)]
