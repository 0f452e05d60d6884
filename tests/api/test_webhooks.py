"""Inbound webhooks over real HTTP: each platform's happy path, signatures (wrong, missing, stale),
redelivery, bad payloads, and a SIGKILL between the acknowledgement and the processing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from app.storage.database import make_engine, session_scope
from app.webhooks.service import add_integration
from tests.api.conftest import Service, auth, free_port, wait_ready
from tests.webhooks import samples


def _integration(url: str, tenant: str, platform: str) -> tuple[str, str]:
    engine = make_engine(url)
    with session_scope(sessionmaker(engine)) as session:
        made = add_integration(session, tenant, platform)
        found = made.id, made.secret
    engine.dispose()
    return found


def _turns(service: Service, key: str, conversation: str, expected: int, seconds: float = 30) -> list[dict]:
    """The conversation's stored turns once there are `expected` of them (processing is in the background)."""
    deadline = time.monotonic() + seconds
    turns: list[dict] = []
    while time.monotonic() < deadline:
        response = httpx.get(f"{service.base}/v1/conversations/{conversation}", headers=auth(key))
        if response.status_code == 200:
            turns = response.json()["turns"]
            if len(turns) >= expected:
                return turns
        time.sleep(0.1)
    raise AssertionError(f"{conversation}: {len(turns)} turns after {seconds} s, expected {expected}")


def test_zendesk_messages_become_turns_once(service: Service):
    integration, secret = _integration(service.url, "acme", "zendesk")
    url = f"{service.base}/v1/webhooks/zendesk?integration={integration}"
    customer = samples.zendesk_delivery("zd-conv-1", "msg-1", "user", "My order 4471 never arrived and nobody replies!")
    acked = httpx.post(url, content=customer, headers=samples.zendesk_headers(secret, customer))
    assert acked.status_code == 200, acked.text
    assert acked.json() == {"received": 2, "stored": 2, "duplicates": []}  # the read receipt is stored, ignored
    agent = samples.zendesk_delivery("zd-conv-1", "msg-2", "business", "We apologize for any inconvenience.")
    assert httpx.post(url, content=agent, headers=samples.zendesk_headers(secret, agent)).status_code == 200
    again = httpx.post(url, content=customer, headers=samples.zendesk_headers(secret, customer))  # a redelivery
    assert again.status_code == 200 and set(again.json()["duplicates"]) == {"evt-msg-1", "evt-read-msg-1"}
    turns = _turns(service, service.key, "zd-conv-1", 2)
    time.sleep(1.0)  # would a duplicate show up late?
    turns = _turns(service, service.key, "zd-conv-1", 2)
    assert [(t["role"], t["agent_id"]) for t in turns] == [("customer", None), ("agent", "agent-ana")]
    assert turns[0]["analysis"]["customer"] is not None and len(turns) == 2


def test_a_processed_event_keeps_no_raw_text(service: Service):
    integration, secret = _integration(service.url, "acme", "zendesk")
    url = f"{service.base}/v1/webhooks/zendesk?integration={integration}"
    planted = "Oksana Bilyk"  # only the PII tagger finds it in this turn
    body = samples.zendesk_delivery("zd-pii", "msg-pii", "user", f"the parcel for {planted} went to the wrong flat")
    assert httpx.post(url, content=body, headers=samples.zendesk_headers(secret, body)).status_code == 200
    (turn,) = _turns(service, service.key, "zd-pii", 1)
    assert planted not in turn["text"] and "<PERSON>" in turn["text"]
    sessions = sessionmaker(make_engine(service.url))
    deadline = time.monotonic() + 30
    while True:  # the turn is stored before its event is marked done
        with session_scope(sessions) as session:
            events = session.execute(sa.text("select status, cast(turns as text) from webhook_events")).all()
        mine = [(status, stored) for status, stored in events if "zd-pii" in str(stored)]
        if (mine and all(status == "done" for status, _ in mine)) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert mine and all(status == "done" and '"text"' not in str(stored) for status, stored in mine)
    assert all(planted not in str(stored) for status, stored in events if status == "done")


def test_intercom_and_twilio_and_generic_happy_paths(service: Service):
    integration, secret = _integration(service.url, "acme", "intercom")
    body = samples.intercom_delivery(
        "notif_1", "ic-conv-9", "user", "<p>Still <b>waiting</b> on my refund &amp; no reply</p>"
    )
    response = httpx.post(
        f"{service.base}/v1/webhooks/intercom?integration={integration}",
        content=body,
        headers=samples.intercom_headers(secret, body),
    )
    assert response.status_code == 200, response.text
    assert _turns(service, service.key, "ic-conv-9", 1)[0]["text"] == "Still waiting on my refund & no reply"

    integration, token = _integration(service.url, "acme", "twilio")
    url = f"{service.base}/v1/webhooks/twilio?integration={integration}"
    params = samples.twilio_form("CH-tw-1", "IM0001", "+447700900123", "hi, my router keeps dropping")
    headers, body = samples.twilio_headers(token, url, params)
    assert httpx.post(url, content=body, headers=headers).status_code == 200
    params = samples.twilio_form("CH-tw-1", "IM0002", "agent.maya", "Sorry about that, let me check the line.")
    headers, body = samples.twilio_headers(token, url, params)
    assert httpx.post(url, content=body, headers=headers).status_code == 200
    turns = _turns(service, service.key, "CH-tw-1", 2)
    assert [(t["role"], t["agent_id"]) for t in turns] == [("customer", None), ("agent", "agent.maya")]

    integration, secret = _integration(service.url, "acme", "generic")
    events = [
        {"event_id": "g-1", "conversation_id": "gen-1", "role": "customer", "text": "third time asking: where is it?"},
        {"event_id": "g-2", "conversation_id": "gen-1", "role": "agent", "text": "Checking now.", "agent_id": "a7"},
    ]
    body = json.dumps(events).encode()
    response = httpx.post(
        f"{service.base}/v1/webhooks/generic?integration={integration}",
        content=body,
        headers=samples.generic_headers(secret, body),
    )
    assert response.status_code == 200 and response.json()["stored"] == 2
    assert [t["text"] for t in _turns(service, service.key, "gen-1", 2)] == [e["text"] for e in events]


def test_wrong_missing_and_stale_signatures_get_401(service: Service):
    integration, secret = _integration(service.url, "acme", "generic")
    url = f"{service.base}/v1/webhooks/generic?integration={integration}"
    body = json.dumps({"event_id": "s-1", "conversation_id": "sig-1", "role": "customer", "text": "hi"}).encode()
    wrong = httpx.post(url, content=body, headers=samples.generic_headers("not-the-secret", body))
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_signature"
    missing = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
    assert missing.status_code == 401 and "Coachline-Signature" in missing.json()["error"]["message"]
    stale = httpx.post(url, content=body, headers=samples.generic_headers(secret, body, int(time.time()) - 900))
    assert stale.status_code == 401 and "replay" in stale.json()["error"]["message"]
    tampered = httpx.post(url, content=body.replace(b"hi", b"yo"), headers=samples.generic_headers(secret, body))
    assert tampered.status_code == 401
    zendesk, zsecret = _integration(service.url, "acme", "zendesk")
    old = "2020-01-01T00:00:00Z"
    delivery = samples.zendesk_delivery("zd-x", "m-x", "user", "hello")
    response = httpx.post(
        f"{service.base}/v1/webhooks/zendesk?integration={zendesk}",
        content=delivery,
        headers=samples.zendesk_headers(zsecret, delivery, old),
    )
    assert response.status_code == 401


def test_bad_payloads_unknown_integrations_and_platforms(service: Service):
    integration, secret = _integration(service.url, "acme", "generic")
    url = f"{service.base}/v1/webhooks/generic?integration={integration}"
    body = json.dumps({"event_id": "b-1", "conversation_id": "bad-1", "role": "boss", "text": "hi"}).encode()
    bad = httpx.post(url, content=body, headers=samples.generic_headers(secret, body))
    assert bad.status_code == 400 and "role" in bad.json()["error"]["message"]
    body = b"{not json"
    assert httpx.post(url, content=body, headers=samples.generic_headers(secret, body)).status_code == 400
    unknown = httpx.post(f"{service.base}/v1/webhooks/generic?integration=int_nope", content=b"{}")
    assert unknown.status_code == 404
    assert httpx.post(f"{service.base}/v1/webhooks/slack?integration={integration}", content=b"{}").status_code == 404
    empty = json.dumps({"event_id": "b-2", "conversation_id": "bad-1", "role": "customer", "text": "  "}).encode()
    response = httpx.post(url, content=empty, headers=samples.generic_headers(secret, empty))
    assert response.status_code == 200  # no chat message: acknowledged and ignored
    assert httpx.get(f"{service.base}/v1/conversations/bad-1", headers=auth(service.key)).status_code == 404


def _processes_setup(tmp_path: Path, tiny_artifact: Path) -> tuple[str, str, str, str, int, str, dict[str, str]]:
    """A migrated database with a key and a generic integration, a free port, and the environment for
    `coach` processes over them: (database, key, integration, secret, port, base URL, env)."""
    from app.storage.database import upgrade
    from tests.api.conftest import new_key

    database = f"sqlite:///{tmp_path / 'coachline.db'}"
    upgrade(database)
    key = new_key(database, "acme")
    integration, secret = _integration(database, "acme", "generic")
    port = free_port()
    env = {
        **os.environ,
        "COACHLINE_DATABASE_URL": database,
        "COACHLINE_MODEL_PATH": str(tiny_artifact),
        "COACHLINE_BACKEND": "fp32",
        "COACHLINE_MACRO_WARMUP_TURNS": "0",
        "COACHLINE_QA_DIR": str(tmp_path / "qa"),
    }
    return database, key, integration, secret, port, f"http://127.0.0.1:{port}", env


def test_an_event_acknowledged_then_killed_is_processed_once_after_restart(tmp_path: Path, tiny_artifact: Path):
    """SIGKILL right after the 2xx, before any processing (this process only receives: the inbox is
    off), then a restart with the inbox on: the stored event is analysed, once."""
    database, key, integration, secret, port, base, env = _processes_setup(tmp_path, tiny_artifact)
    serve = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--log-level", "warning"]
    first = subprocess.Popen(serve, env={**env, "COACHLINE_WEBHOOK_INBOX": "false"})
    try:
        wait_ready(base, seconds=120)
        events = [
            {"event_id": f"k-{i}", "conversation_id": "kill-1", "role": "customer", "text": f"message {i}"}
            for i in range(3)
        ]
        for event in events:
            body = json.dumps(event).encode()
            response = httpx.post(
                f"{base}/v1/webhooks/generic?integration={integration}",
                content=body,
                headers=samples.generic_headers(secret, body),
            )
            assert response.status_code == 200
        assert httpx.get(f"{base}/v1/conversations/kill-1", headers=auth(key)).status_code == 404  # not yet
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    second = subprocess.Popen(serve, env=env)
    try:
        wait_ready(base, seconds=120)
        service = Service(base, key, key, database, None)  # type: ignore[arg-type]
        turns = _turns(service, key, "kill-1", 3)
        time.sleep(1.5)
        turns = _turns(service, key, "kill-1", 3)
        assert [t["text"] for t in turns] == ["message 0", "message 1", "message 2"]  # all, once, in order
    finally:
        second.terminate()
        second.wait(timeout=30)


def test_a_rotated_secret_is_honoured_within_the_key_cache_ttl(service: Service):
    """The acknowledgement path remembers integrations for COACHLINE_KEY_CACHE_SECONDS (0.5 s here):
    after a rotation both secrets work (the grace period), and a removal stops the webhooks."""
    from app.webhooks.service import remove_integration, rotate_secret

    integration, old_secret = _integration(service.url, "acme", "generic")
    url = f"{service.base}/v1/webhooks/generic?integration={integration}"

    def send(secret: str, event: str) -> int:
        body = json.dumps({"event_id": event, "conversation_id": "rot-1", "role": "customer", "text": "hi"}).encode()
        return httpx.post(url, content=body, headers=samples.generic_headers(secret, body)).status_code

    assert send(old_secret, "r-1") == 200  # now cached
    engine = make_engine(service.url)
    with session_scope(sessionmaker(engine)) as session:
        new_secret = rotate_secret(session, integration).secret
    time.sleep(service.settings.key_cache_seconds + 0.2)
    assert send(new_secret, "r-2") == 200 and send(old_secret, "r-3") == 200
    with session_scope(sessionmaker(engine)) as session:
        remove_integration(session, integration)
    engine.dispose()
    time.sleep(service.settings.key_cache_seconds + 0.2)
    assert send(new_secret, "r-4") == 404


def test_a_receive_only_server_and_a_coach_worker_beside_it(tmp_path: Path, tiny_artifact: Path):
    """`coach serve` with the inbox, callbacks and QA jobs off acknowledges; `coach worker`, another
    process on the same database, analyses; SIGTERM stops the worker cleanly."""
    database, key, integration, secret, port, base, env = _processes_setup(tmp_path, tiny_artifact)
    receive_only = {
        "COACHLINE_WEBHOOK_INBOX": "false",
        "COACHLINE_CALLBACK_DISPATCH": "false",
        "COACHLINE_QA_JOBS": "false",
    }
    serve = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(serve, env={**env, **receive_only})
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env, stderr=subprocess.PIPE)
    try:
        wait_ready(base, seconds=120)
        for i in range(3):
            body = json.dumps(
                {"event_id": f"w-{i}", "conversation_id": "split-1", "role": "customer", "text": f"m {i}"}
            )
            response = httpx.post(
                f"{base}/v1/webhooks/generic?integration={integration}",
                content=body.encode(),
                headers=samples.generic_headers(secret, body.encode()),
            )
            assert response.status_code == 200
        service = Service(base, key, key, database, None)  # type: ignore[arg-type]
        turns = _turns(service, key, "split-1", 3, seconds=120)
        assert [t["text"] for t in turns] == ["m 0", "m 1", "m 2"]
        assert all(t["analysis"]["customer"] is not None for t in turns)
        # The worker yields the cores to the acknowledging server (niceness 10 more than its parent's).
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
        assert os.getpriority(os.PRIO_PROCESS, server.pid) == os.getpriority(os.PRIO_PROCESS, 0)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        for process in (server, worker):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
