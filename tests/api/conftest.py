"""The service over real HTTP: uvicorn on a free loopback port, httpx and websockets as clients,
against SQLite and the local PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import sessionmaker

from app.main import create_app
from app.settings import Settings
from app.storage.database import make_engine, session_scope
from app.tenants.service import create_key
from tests.conftest import migrated_database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{base} not ready after {seconds} s")


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """One app instance (its own model, batcher, feed and state) served on a free port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def new_key(url: str, tenant: str, **options: str) -> str:
    engine = make_engine(url)
    with session_scope(sessionmaker(engine)) as session:
        secret = create_key(session, tenant, **options).secret
    engine.dispose()
    return secret


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Service:
    base: str
    key: str
    other_key: str  # another tenant's
    url: str  # the database
    settings: Settings

    def stored_text(self) -> str:
        """Everything the database holds, as text: where planted PII must not appear."""
        if self.url.startswith("sqlite"):  # the file and its write-ahead log (recent commits live there)
            database = Path(self.url.removeprefix("sqlite:///"))
            files = [database, database.with_name(database.name + "-wal")]
            return "\n".join(f.read_bytes().decode("latin-1") for f in files if f.exists())
        import sqlalchemy as sa

        engine = make_engine(self.url)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("select text, cast(analysis as text) from turns")).all()
        engine.dispose()
        return "\n".join(f"{text} {analysis}" for text, analysis in rows)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="module")
def service(tiny_artifact: Path, api_database: str) -> Iterator[Service]:
    settings = Settings(
        database_url=api_database, model_path=tiny_artifact, backend="fp32", max_text_chars=200, key_cache_seconds=0.5
    )
    key, other = new_key(api_database, "acme"), new_key(api_database, "globex")
    with running_server(settings) as base:
        yield Service(base, key, other, api_database, settings)
