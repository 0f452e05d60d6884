"""The service slice over real HTTP: uvicorn on a free loopback port, httpx as the client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import sessionmaker

from app.main import create_app
from app.settings import Settings
from app.storage.database import make_engine, session_scope, upgrade
from app.tenants.service import create_key


@pytest.fixture(scope="module")
def service(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'coach.db'}"
    upgrade(url)
    with session_scope(sessionmaker(make_engine(url))) as session:
        key = create_key(session, "acme").secret
    settings = Settings(database_url=url, model_path=tiny_artifact, backend="fp32", max_text_chars=200)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    yield base, key
    server.should_exit = True
    thread.join(timeout=10)


def test_health_and_readiness(service):
    base, _ = service
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/readyz").json()
    assert ready == {"status": "ready", "checks": {"model": True, "database": True}}


def test_analyze_needs_a_valid_key(service):
    base, key = service
    missing = httpx.post(f"{base}/v1/analyze", json={"text": "hi"})
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["error"]["message"]
    wrong = httpx.post(f"{base}/v1/analyze", json={"text": "hi"}, headers={"Authorization": "Bearer ck_nope_x"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_key"
    ok = httpx.post(f"{base}/v1/analyze", json={"text": "Where is my refund?!!"},
                    headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert ok.status_code == 200
    body = ok.json()
    assert body["customer"]["state"]["label"] and "shouting" in {c["kind"] for c in body["customer"]["cues"]}


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        ({"role": "bot", "text": "hi"}, 422, "role"),
        ({"text": ""}, 422, "text"),
        ({"text": "x" * 201}, 413, "limit is 200"),
    ],
)
def test_bad_input_gets_a_clear_error(service, payload, status, fragment):
    base, key = service
    response = httpx.post(f"{base}/v1/analyze", json=payload, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]


def test_malformed_json_is_422_not_500(service):
    base, key = service
    response = httpx.post(f"{base}/v1/analyze", content=b"{not json", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
