"""WS /v1/conversations/{id}/stream: turns reach the sidebar from any worker, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.settings import Settings
from tests.api.conftest import Service, auth, running_server


def _ws(base: str, conversation: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + f"/v1/conversations/{conversation}/stream{query}"


def _receive(socket, timeout: float = 10) -> dict:
    return json.loads(socket.recv(timeout=timeout))


@pytest.fixture(scope="module")
def second_worker(service: Service, tiny_artifact: Path) -> Iterator[str]:
    """Another app instance on the same database: its own model, feed and conversation state,
    sharing only what a second uvicorn worker or host would share."""
    settings = Settings(
        database_url=service.url, model_path=tiny_artifact, backend="fp32", stream_poll_ms=50, macro_sync_seconds=0.2
    )
    with running_server(settings) as base:
        yield base


def test_turns_posted_to_another_worker_are_pushed_in_order(service: Service, second_worker: str):
    with connect(_ws(service.base, "ws-1"), additional_headers=auth(service.key)) as socket:
        assert _receive(socket) == {"type": "subscribed", "conversation_id": "ws-1", "after": -1}
        texts = ["My parcel 5512 is lost and I'm furious.", "I'm sorry, let me trace parcel 5512 now."]
        for role, text in zip(("customer", "agent"), texts, strict=True):
            posted = httpx.post(
                f"{second_worker}/v1/conversations/ws-1/turns",
                headers=auth(service.key),
                json={"role": role, "text": text},
            )
            assert posted.status_code == 201, posted.text
        pushed = [_receive(socket), _receive(socket)]
    assert [(m["seq"], m["role"], m["text"]) for m in pushed] == [(0, "customer", texts[0]), (1, "agent", texts[1])]
    assert pushed[0]["analysis"]["customer"]["state"]["label"]
    assert "suggestions" in pushed[1]["analysis"]


def test_same_worker_push_and_backlog_after_seq(service: Service):
    for text in ("first", "second", "third"):
        httpx.post(
            f"{service.base}/v1/conversations/ws-2/turns",
            headers=auth(service.key),
            json={"role": "customer", "text": text},
        )
    with connect(_ws(service.base, "ws-2", "?after=0"), additional_headers=auth(service.key)) as socket:
        _receive(socket)
        assert [_receive(socket)["text"] for _ in range(2)] == ["second", "third"]
        httpx.post(
            f"{service.base}/v1/conversations/ws-2/turns",
            headers=auth(service.key),
            json={"role": "agent", "text": "fourth"},
        )
        assert _receive(socket)["seq"] == 3


def test_browser_subprotocol_auth_and_tenant_isolation(service: Service):
    httpx.post(
        f"{service.base}/v1/conversations/ws-3/turns",
        headers=auth(service.key),
        json={"role": "customer", "text": "acme's secret complaint"},
    )
    with connect(_ws(service.base, "ws-3"), subprotocols=["coachline.bearer", service.other_key]) as socket:
        assert socket.subprotocol == "coachline.bearer"
        _receive(socket)
        with pytest.raises(TimeoutError):  # globex sees nothing of acme's conversation
            socket.recv(timeout=0.5)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer ck_nope_x"}])
def test_missing_or_bad_key_closes_with_4401(service: Service, headers: dict):
    with (
        connect(_ws(service.base, "ws-4"), additional_headers=headers) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=5)
    assert closed.value.rcvd.code == 4401 and "Bearer" in closed.value.rcvd.reason


def test_two_workers_alternating_on_one_conversation_store_every_turn_in_order(service: Service, second_worker: str):
    """Each worker's in-memory state goes stale when the other adds a turn: the taken sequence
    number is caught on insert, the state rebuilt from storage, and the turn stored next."""
    turns = [
        ("customer", "My parcel 7781 never arrived."),
        ("agent", "I'm sorry, let me check parcel 7781."),
        ("customer", "It was due on Monday."),
        ("agent", "I've asked the courier to trace it and I'll update you by 5pm."),
    ]
    seqs = []
    for i, (role, text) in enumerate(turns):
        base = (service.base, second_worker)[i % 2]
        posted = httpx.post(
            f"{base}/v1/conversations/alt-1/turns", headers=auth(service.key), json={"role": role, "text": text}
        )
        assert posted.status_code == 201, posted.text
        seqs.append(int(posted.headers["X-Turn-Seq"]))
        assert posted.json()["index"] == i  # analysed with every earlier turn in its state
    assert seqs == [0, 1, 2, 3]
    stored = httpx.get(f"{service.base}/v1/conversations/alt-1", headers=auth(service.key)).json()["turns"]
    assert [(t["seq"], t["text"]) for t in stored] == [(i, text) for i, (_, text) in enumerate(turns)]


def test_a_macro_used_on_one_worker_is_known_to_the_other(service: Service, second_worker: str):
    """The second worker started before these turns were stored: it learns the team's macro from
    the database (macro sync), not from its own traffic."""
    import time

    macro = "Our accounts team will review your case and reply within two business days."
    for conversation in ("macro-a", "macro-b"):
        stored = httpx.post(
            f"{service.base}/v1/conversations/{conversation}/turns",
            headers=auth(service.key),
            json={"role": "agent", "text": macro},
        )
        assert stored.status_code == 201
    time.sleep(0.8)  # a few sync rounds
    reused = httpx.post(
        f"{second_worker}/v1/conversations/macro-c/turns",
        headers=auth(service.key),
        json={"role": "agent", "text": macro},
    )
    assert reused.json()["agent"]["sentences"][0]["templated"]["signals"]["macro"] > 0
