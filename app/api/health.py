from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from app.api.deps import DatabaseDep, LoadedCoachDep
from app.metrics import render

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Model loaded and database reachable")
def readyz(coach: LoadedCoachDep, db: DatabaseDep) -> JSONResponse:
    checks = {"model": coach is not None, "database": False}
    if db is not None:
        try:
            with db.connect() as connection:
                connection.execute(sa.text("select 1"))
            checks["database"] = True
        except Exception:  # the check's answer is the point: report, don't raise
            checks["database"] = False
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics (requests, latency, batch sizes, cues and flags)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition format"}},
)
def metrics() -> Response:
    body, content_type = render()
    return Response(body, media_type=content_type)
