"""/v1/qa/jobs: upload a transcript file (JSONL, CSV or vCon) to be QA-scored in the background,
follow its progress, download its results. Tenant-scoped; jobs persist and resume after a restart."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from app.api.deps import CoachDep, CoachingTenantDep, SessionsDep, SettingsDep, TenantDep
from app.api.errors import ApiError, error_responses
from app.api.types import UtcTime
from app.qa.jobs import FORMATS, RESULTS, QAJob, create_job, get_job, job_dir, list_jobs, new_job_id
from app.storage.database import session_scope

router = APIRouter(prefix="/v1/qa", tags=["qa"], responses=error_responses(400, 401, 403, 404, 422, 429))

SPOOL_WRITE_BYTES = 1 << 20
CONTENT_TYPES = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "text/csv": "csv",
    "application/vcon+json": "vcon",
    "application/json": "vcon",
}
JSONL_EXAMPLE = '{"conversation_id": "c-1", "turns": [{"role": "customer", "text": "Still no refund."}]}\n'
ResultName = Literal["conversations.jsonl", "agents.csv", "report.html", "conversations.vcon.jsonl", "errors.jsonl"]


class Progress(BaseModel):
    scored: int = Field(description="conversations scored so far")
    total: int | None = Field(None, description="conversations in the upload (known once the job starts)")
    bad_records: int = Field(description="records that could not be read (see errors.jsonl)")


class QAJobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    format: str
    rubric: str
    filename: str | None
    size_bytes: int
    progress: Progress
    error: str | None = Field(None, description="why the job failed")
    created_at: UtcTime
    started_at: UtcTime | None = None
    finished_at: UtcTime | None = None
    results: dict[str, str] = Field(default_factory=dict, description="download paths, once done")


def _out(job: QAJob) -> QAJobOut:
    results = {name: f"/v1/qa/jobs/{job.id}/results/{name}" for name in RESULTS} if job.status == "done" else {}
    return QAJobOut(
        id=job.id,
        status=job.status,  # type: ignore[arg-type]
        format=job.format,
        rubric=job.rubric,
        filename=job.filename,
        size_bytes=job.size_bytes,
        progress=Progress(scored=job.scored, total=job.total, bad_records=job.bad_records),
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        results=results,
    )


@router.post(
    "/jobs",
    response_model=QAJobOut,
    status_code=202,
    summary="Upload transcripts to QA-score (JSONL, CSV or vCon as the request body)",
    responses=error_responses(413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the file itself as the body: transcript JSONL (application/x-ndjson), CSV with "
            "conversation_id, role, text[, ts, agent_id] (text/csv), or vCon JSON (application/json). Its "
            "records are read by the job: unreadable ones are counted (errors.jsonl), and a file with none "
            "readable ends the job `failed`, saying why",
            "content": {
                "application/x-ndjson": {
                    "schema": {},
                    "example": JSONL_EXAMPLE,
                },
                "text/csv": {
                    "schema": {},
                    "example": "conversation_id,role,text\nc-1,customer,Still no refund.\n",
                },
                "application/json": {"schema": {}},
            },
        }
    },
)
async def create(
    request: Request,
    tenant: CoachingTenantDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    coach: CoachDep,
    format: Annotated[
        Literal["jsonl", "csv", "vcon"] | None, Query(description="overrides the format the Content-Type implies")
    ] = None,
    filename: Annotated[str | None, Query(max_length=255, description="a name to show for the upload")] = None,
    rubric: Annotated[
        str,
        Query(min_length=1, max_length=64, description="the rubric id (a tenant's own, from its frameworks folder)"),
    ] = "default_qa",
) -> QAJobOut:
    if rubric not in coach.library.rubrics:
        raise ApiError(
            404, "unknown_rubric", f"no rubric {rubric!r}; this service has {', '.join(sorted(coach.library.rubrics))}"
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = format or CONTENT_TYPES.get(content_type)
    if fmt is None:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the file as {', '.join(sorted(CONTENT_TYPES))}, or say ?format= one of {', '.join(FORMATS)}",
        )
    limit = settings.qa_max_upload_mb * 1024 * 1024
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(
            413, "upload_too_large", f"uploads are limited to {settings.qa_max_upload_mb} MB; split the file"
        )
    incoming = settings.qa_dir / "incoming"
    await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
    size, blank = 0, True
    # The file is written a megabyte at a time in a worker thread: a disk that stalls (dirty-page
    # throttling under a 50 MB upload) must not stall the event loop that live turns share.
    spool = await asyncio.to_thread(tempfile.NamedTemporaryFile, dir=incoming, delete=False)
    upload, buffered = Path(spool.name), 0
    pending: list[bytes] = []
    try:
        async for chunk in request.stream():  # counted as it arrives: a missing Content-Length can't slip past
            size += len(chunk)
            if size > limit:
                raise ApiError(
                    413, "upload_too_large", f"uploads are limited to {settings.qa_max_upload_mb} MB; split the file"
                )
            pending.append(chunk)
            buffered += len(chunk)
            blank = blank and not chunk.strip()
            if buffered >= SPOOL_WRITE_BYTES:
                await asyncio.to_thread(spool.writelines, pending)
                pending, buffered = [], 0
        await asyncio.to_thread(spool.writelines, pending)
    except BaseException:
        await asyncio.to_thread(spool.close)
        upload.unlink(missing_ok=True)
        raise
    await asyncio.to_thread(spool.close)
    if blank:  # nothing, or only whitespace
        upload.unlink(missing_ok=True)
        raise ApiError(400, "empty_upload", "the body is empty: send the transcript file as the request body")
    job_id = new_job_id()

    def store() -> QAJobOut:
        with session_scope(sessions) as session:
            return _out(create_job(session, settings.qa_dir, job_id, tenant.id, fmt, upload, filename, rubric))

    created = await asyncio.to_thread(store)
    worker = getattr(request.app.state, "qa_worker", None)
    if worker is not None:
        worker.notify()
    return created


@router.get("/jobs", response_model=list[QAJobOut], summary="The tenant's QA jobs, newest first")
async def listing(tenant: TenantDep, sessions: SessionsDep) -> list[QAJobOut]:
    def read() -> list[QAJobOut]:
        with session_scope(sessions) as session:
            return [_out(job) for job in list_jobs(session, tenant.id)]

    return await asyncio.to_thread(read)


def _job(sessions: sessionmaker[Session], tenant_id: str, job_id: str) -> QAJob:
    with session_scope(sessions) as session:
        job = get_job(session, tenant_id, job_id)
    if job is None:
        raise ApiError(404, "unknown_job", f"no QA job {job_id!r} for this tenant (see GET /v1/qa/jobs)")
    return job


@router.get("/jobs/{job_id}", response_model=QAJobOut, summary="A QA job's status and progress")
async def status(job_id: str, tenant: TenantDep, sessions: SessionsDep) -> QAJobOut:
    return _out(await asyncio.to_thread(_job, sessions, tenant.id, job_id))


@router.get(
    "/jobs/{job_id}/results/{name}",
    response_class=FileResponse,
    summary="Download a finished job's result: scores (JSONL), per-agent CSV, HTML report, vCons, bad records",
    responses={
        **error_responses(409),
        200: {"description": "the file", "content": {t: {} for t in sorted(set(RESULTS.values()))}},
    },
)
async def result(job_id: str, name: ResultName, tenant: TenantDep, sessions: SessionsDep, settings: SettingsDep):
    job = await asyncio.to_thread(_job, sessions, tenant.id, job_id)
    if job.status != "done":
        raise ApiError(409, "job_not_done", f"job {job_id} is {job.status}; results come once it is done")
    path = job_dir(settings.qa_dir, job.id) / "out" / name
    if not path.is_file():
        raise ApiError(404, "no_result", f"job {job_id} has no {name}")
    return FileResponse(path, media_type=RESULTS[name], filename=name)
