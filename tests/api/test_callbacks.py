"""Outbound callbacks over real HTTP: a receiver on loopback that is down, then up; fails, then is
replayed. Signatures are checked here with hmac alone."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import sessionmaker

from app.callbacks.service import replay
from app.settings import Settings
from app.storage.database import make_engine, session_scope
from tests.api.conftest import auth, free_port, new_key, running_server


class Receiver:
    """A callback URL: records what arrives; answers `status`; can be started and stopped."""

    def __init__(self, port: int) -> None:
        self.port, self.status, self.received = port, 200, []
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.status == 200:
                    receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]

    def wait_for(self, count: int, seconds: float = 30) -> list[dict]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(self.received) < count:
            time.sleep(0.05)
        return self.events()


def verified(secret: str, headers: dict, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in headers["Coachline-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.fixture
def fast_service(tiny_artifact: Path, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    database = f"sqlite:///{tmp_path / 'coachline.db'}"
    settings = Settings(
        database_url=database,
        model_path=tiny_artifact,
        backend="fp32",
        callback_backoff_initial_s=0.05,
        callback_backoff_max_s=0.3,
        callback_max_attempts=4,
        macro_warmup_turns=0,
    )
    from app.storage.database import upgrade

    upgrade(database)
    key = new_key(database, "acme")
    with running_server(settings) as base:
        yield base, key, database


def _register(base: str, key: str, url: str, filter: str = "all") -> dict:
    response = httpx.post(f"{base}/v1/callbacks", headers=auth(key), json={"url": url, "filter": filter})
    assert response.status_code == 201, response.text
    return response.json()


def _say(base: str, key: str, conversation: str, role: str, text: str) -> None:
    response = httpx.post(
        f"{base}/v1/conversations/{conversation}/turns", headers=auth(key), json={"role": role, "text": text}
    )
    assert response.status_code == 201


def test_every_turn_arrives_signed_once_and_in_order_after_an_outage(fast_service):
    base, key, _ = fast_service
    receiver = Receiver(free_port())  # down: nothing listens there yet
    callback = _register(base, key, receiver.url)
    texts = ["my parcel is lost", "Sorry to hear that, checking.", "still nothing??", "Refunded just now.", "ok thanks"]
    for i, text in enumerate(texts):
        _say(base, key, "cb-1", "customer" if i % 2 == 0 else "agent", text)
    time.sleep(1.0)  # a few failed attempts
    receiver.start()
    try:
        events = receiver.wait_for(len(texts))
        time.sleep(0.5)  # anything twice?
        events = receiver.events()
        assert [e["seq"] for e in events] == list(range(len(texts)))  # all, once, in order
        assert [e["text"] for e in events] == texts
        assert all(verified(callback["secret"], h, b) for h, b in receiver.received)
        assert len({e["event_id"] for e in events}) == len(texts) and "analysis" in events[0]
        log = httpx.get(f"{base}/v1/callbacks/{callback['id']}/deliveries", headers=auth(key)).json()
        assert any(entry["status_code"] is None and entry["error"] for entry in log)  # the outage, logged
        assert sum(entry["status_code"] == 200 for entry in log) == len(texts)
    finally:
        receiver.stop()


def test_filters_dead_letters_and_replay(fast_service):
    base, key, database = fast_service
    receiver = Receiver(free_port())
    receiver.start()
    try:
        flags = _register(base, key, receiver.url, "flags")
        _say(base, key, "cb-2", "customer", "This is the third time I'm writing, I'm furious.")
        _say(base, key, "cb-2", "agent", "We apologize for any inconvenience. Unfortunately that is our policy.")
        _say(base, key, "cb-2", "agent", "Let me fix that now.")
        events = receiver.wait_for(1)
        time.sleep(0.5)
        assert [e["seq"] for e in receiver.events()] == [1]  # only the turn with agent flags
        assert events[0]["analysis"]["agent"]["flags"]
        httpx.delete(f"{base}/v1/callbacks/{flags['id']}", headers=auth(key))

        receiver.status = 500  # failing: retried, then dead-lettered
        failing = _register(base, key, receiver.url)
        _say(base, key, "cb-3", "customer", "hello?")
        deadline = time.monotonic() + 20
        log: list = []
        while time.monotonic() < deadline and len(log) < 4:
            log = httpx.get(f"{base}/v1/callbacks/{failing['id']}/deliveries", headers=auth(key)).json()
            time.sleep(0.1)
        assert [entry["status_code"] for entry in log] == [500] * 4
        time.sleep(0.5)
        assert len(httpx.get(f"{base}/v1/callbacks/{failing['id']}/deliveries", headers=auth(key)).json()) == 4
        receiver.status = 200
        engine = make_engine(database)
        with session_scope(sessionmaker(engine)) as session:
            assert replay(session, failing["id"]) == 1
        engine.dispose()
        _say(base, key, "cb-3", "customer", "anyone?")  # wakes the dispatcher (it also polls)
        events = receiver.wait_for(3)  # cb-2's flagged turn, then cb-3's two, in order
        assert [e["text"] for e in events if e["conversation_id"] == "cb-3"] == ["hello?", "anyone?"]
    finally:
        receiver.stop()


def test_callbacks_are_the_tenants_own(fast_service):
    base, key, database = fast_service
    other = new_key(database, "globex")
    mine = _register(base, key, "https://ops.example.com/hook")
    assert httpx.get(f"{base}/v1/callbacks", headers=auth(other)).json() == []
    assert httpx.delete(f"{base}/v1/callbacks/{mine['id']}", headers=auth(other)).status_code == 404
    bad = httpx.post(f"{base}/v1/callbacks", headers=auth(key), json={"url": "ftp://x", "filter": "all"})
    assert bad.status_code == 422
