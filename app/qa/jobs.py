"""QA jobs: an uploaded transcript file scored in the background, tenant by tenant, surviving restarts.

A job is a row (its state and progress) and a folder (`<qa_dir>/<job id>/`: the upload and the
runner's output). The worker claims a job with a lease it renews after every chunk; a job whose lease
ran out (its process died) is claimed again and the runner resumes from its ledger, so a restart
neither loses a job nor scores a conversation twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import shutil
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from app.storage.database import Base, session_scope
from app.tenants.models import utcnow

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a claimed job untouched this long belongs to a dead process
FORMATS = ("jsonl", "csv", "vcon")
UPLOAD = {"jsonl": "upload.jsonl", "csv": "upload.csv", "vcon": "upload.json"}
RESULTS = {
    "conversations.jsonl": "application/x-ndjson",
    "agents.csv": "text/csv",
    "report.html": "text/html",
    "conversations.vcon.jsonl": "application/x-ndjson",
    "errors.jsonl": "application/x-ndjson",
}


class QAJob(Base):
    __tablename__ = "qa_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)  # queued|running|done|failed
    format: Mapped[str] = mapped_column(String(8))
    rubric: Mapped[str] = mapped_column(String(64), default="default_qa")
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    size_bytes: Mapped[int] = mapped_column(Integer)
    total: Mapped[int | None] = mapped_column(Integer, default=None)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    bad_records: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


def job_dir(root: Path, job_id: str) -> Path:
    return root / job_id


def new_job_id() -> str:
    return "qa_" + secrets.token_hex(8)


def create_job(
    session: Session,
    root: Path,
    job_id: str,
    tenant_id: str,
    fmt: str,
    upload: Path,
    filename: str | None,
    rubric: str = "default_qa",
) -> QAJob:
    """Store the job: the upload moves into the job's folder first, so a stored job always has its file."""
    folder = job_dir(root, job_id)
    folder.mkdir(parents=True, exist_ok=True)
    size = upload.stat().st_size
    shutil.move(str(upload), folder / UPLOAD[fmt])
    job = QAJob(id=job_id, tenant_id=tenant_id, format=fmt, filename=filename, size_bytes=size, rubric=rubric)
    session.add(job)
    session.commit()
    return job


def get_job(session: Session, tenant_id: str, job_id: str) -> QAJob | None:
    job = session.get(QAJob, job_id)
    return job if job is not None and job.tenant_id == tenant_id else None


def list_jobs(session: Session, tenant_id: str, limit: int = 50) -> list[QAJob]:
    query = select(QAJob).where(QAJob.tenant_id == tenant_id).order_by(QAJob.created_at.desc()).limit(limit)
    return list(session.scalars(query))


def claim_job(session: Session, now: datetime | None = None) -> QAJob | None:
    """The oldest job that is queued, or running under a lease that ran out; leased to the caller."""
    now = now or datetime.now(UTC)
    query = (
        select(QAJob)
        .where(QAJob.status.in_(("queued", "running")))
        .where(or_(QAJob.claimed_until.is_(None), QAJob.claimed_until < now))
        .order_by(QAJob.created_at)
        .limit(1)
    )
    job = session.scalars(query).first()
    if job is None:
        return None
    # The same condition again in the update: of two workers racing for it, one updates a row.
    claimed = session.execute(
        update(QAJob)
        .where(QAJob.id == job.id, or_(QAJob.claimed_until.is_(None), QAJob.claimed_until < now))
        .values(status="running", claimed_until=now + LEASE, started_at=job.started_at or now)
    )
    session.commit()
    if claimed.rowcount != 1:
        return None
    session.refresh(job)
    return job


def record_progress(sessions: sessionmaker[Session], job_id: str, scored: int, total: int | None) -> None:
    with session_scope(sessions) as session:
        session.execute(
            update(QAJob)
            .where(QAJob.id == job_id)
            .values(scored=scored, total=total, claimed_until=datetime.now(UTC) + LEASE)
        )
        session.commit()


def finish_job(sessions: sessionmaker[Session], job_id: str, **values: Any) -> None:
    with session_scope(sessions) as session:
        session.execute(
            update(QAJob).where(QAJob.id == job_id).values(claimed_until=None, finished_at=datetime.now(UTC), **values)
        )
        session.commit()


class JobWorker:
    """Runs QA jobs one at a time off the event loop. `score(job, folder, on_chunk, stop)` does the
    work (the runner over the job's upload) and returns (conversations scored, bad records)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        root: Path,
        score: Callable[[QAJob, Path, Callable[[int, int | None], None], threading.Event], tuple[int, int]],
        poll_s: float = 1.0,
    ) -> None:
        self.sessions = sessions
        self.root = root
        self.score = score
        self.poll_s = poll_s
        self.stop = threading.Event()
        self.wake = asyncio.Event()

    def notify(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        try:
            while True:
                job = await asyncio.to_thread(self._claim)
                if job is None:
                    self.wake.clear()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), self.poll_s)
                    continue
                await asyncio.to_thread(self._run, job)
        except asyncio.CancelledError:
            self.stop.set()  # the running job stops after its chunk; its lease runs out and it resumes
            raise

    def _claim(self) -> QAJob | None:
        with session_scope(self.sessions) as session:
            return claim_job(session)

    def _run(self, job: QAJob) -> None:
        folder = job_dir(self.root, job.id)
        try:
            scored, bad = self.score(
                job, folder, lambda done, total: record_progress(self.sessions, job.id, done, total), self.stop
            )
        except Exception as failure:  # the job fails, with what went wrong; the worker goes on
            logger.exception("QA job %s failed", job.id)
            finish_job(self.sessions, job.id, status="failed", error=f"{type(failure).__name__}: {failure}")
            return
        if self.stop.is_set():  # stopped part-way (shutting down): free it for the next start to resume
            with session_scope(self.sessions) as session:
                session.execute(update(QAJob).where(QAJob.id == job.id).values(claimed_until=None))
                session.commit()
            return
        finish_job(self.sessions, job.id, status="done", scored=scored, total=scored, bad_records=bad)


class JobScorer:
    """Scores a job's upload with a coach of its own, built on the first job (one text per forward
    pass, as `coach score` runs: a job's results are the command line's results)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._engine: Any = None
        self._lock = threading.Lock()

    def engine(self) -> Any:
        with self._lock:
            if self._engine is None:
                self._engine = self._build()
            return self._engine

    def __call__(
        self, job: QAJob, folder: Path, on_chunk: Callable[[int, int | None], None], stop: threading.Event
    ) -> tuple[int, int]:
        """(conversations scored in all, bad records)."""
        from app.qa.runner import InProcessEngine, run_scoring, write_report
        from app.qa.scoring import QAScorer, rubric_of

        engine = self.engine()
        summary = run_scoring(
            InProcessEngine(QAScorer(engine, rubric_of(engine.library, job.rubric))),
            [folder / UPLOAD[job.format]],
            folder / "out",
            fmt=job.format,
            report=lambda path, scores: write_report(
                path, scores, engine.encoder.encode, source=job.filename or job.id
            ),
            progress=False,
            on_chunk=on_chunk,
            stop=stop,
        )
        done = summary.scored + summary.skipped
        if done == 0 and not stop.is_set():
            raise ValueError(f"no conversation could be read from the upload: {_first_error(folder / 'out')}")
        return done, summary.errors


def _first_error(out: Path) -> str:
    errors = (out / "errors.jsonl").read_text(encoding="utf-8").splitlines() if (out / "errors.jsonl").exists() else []
    if not errors:
        return "it holds no conversation"
    first = json.loads(errors[0])
    return f"{first['at']}: {first['error']}" + (
        f" (and {len(errors) - 1} more, see errors.jsonl)" if len(errors) > 1 else ""
    )
