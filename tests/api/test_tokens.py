"""Browser tokens, per-tenant CORS, the demo and the landing page, over real HTTP."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy.orm import sessionmaker
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.main import create_app
from app.settings import Settings
from app.storage.database import make_engine, session_scope
from app.tenants.service import normalise_origin, set_origins
from app.tokens.service import TokenSigner, shared_secret
from tests.api.conftest import Service, auth

PAGE = "https://chat.example.com"


def _token(service: Service, conversation: str, **extra) -> dict:
    response = httpx.post(
        f"{service.base}/v1/tokens", headers=auth(service.key), json={"conversation_id": conversation, **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


def _say(service: Service, conversation: str, text: str) -> None:
    response = httpx.post(
        f"{service.base}/v1/conversations/{conversation}/turns",
        headers=auth(service.key),
        json={"role": "customer", "text": text},
    )
    assert response.status_code == 201


def _ws(base: str, conversation: str) -> str:
    return base.replace("http://", "ws://") + f"/v1/conversations/{conversation}/stream"


def test_a_token_reads_streams_and_checks_drafts_of_its_conversation_only(service: Service):
    _say(service, "tok-1", "I was charged twice and nobody answers!")
    issued = _token(service, "tok-1", ttl_seconds=120)
    token = issued["token"]
    assert token.startswith("clt.") and issued["conversation_id"] == "tok-1"
    assert set(issued["scopes"]) == {"read", "stream", "draft"}
    read = httpx.get(f"{service.base}/v1/conversations/tok-1", headers=auth(token))
    assert read.status_code == 200 and read.json()["turns"][0]["text"].startswith("I was charged")
    draft = httpx.post(f"{service.base}/v1/conversations/tok-1/draft", headers=auth(token), json={"text": "Sorry."})
    assert draft.status_code == 200
    # Adding turns, other conversations, other routes: refused, with what to do.
    add = httpx.post(
        f"{service.base}/v1/conversations/tok-1/turns", headers=auth(token), json={"role": "agent", "text": "hi"}
    )
    assert add.status_code == 403 and add.json()["error"]["code"] == "browser_token_not_allowed"
    other = httpx.get(f"{service.base}/v1/conversations/tok-2", headers=auth(token))
    assert other.status_code == 403 and other.json()["error"]["code"] == "token_out_of_scope"
    assert "tok-1" in other.json()["error"]["message"]
    again = httpx.post(f"{service.base}/v1/tokens", headers=auth(token), json={"conversation_id": "tok-1"})
    assert again.status_code == 403  # a token can't mint tokens
    with connect(_ws(service.base, "tok-1"), subprotocols=["coachline.bearer", token]) as socket:
        assert socket.subprotocol == "coachline.bearer"
        assert '"subscribed"' in socket.recv(timeout=10)
        assert "I was charged" in socket.recv(timeout=10)
    with (
        connect(_ws(service.base, "tok-2"), subprotocols=["coachline.bearer", token]) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=5)
    assert closed.value.rcvd.code == 4403


def test_an_expired_or_forged_token_gets_401_saying_what_to_do(service: Service):
    engine = make_engine(service.url)
    with session_scope(sessionmaker(engine)) as session:
        signer = TokenSigner(shared_secret(session))
    engine.dispose()
    expired = signer.dumps(signer.issue("acme", "tok-3", ttl_seconds=-5))
    response = httpx.get(f"{service.base}/v1/conversations/tok-3", headers=auth(expired))
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_expired"
    assert "POST /v1/tokens" in response.json()["error"]["message"]
    forged = TokenSigner("not the server's secret").dumps(signer.issue("acme", "tok-3", ttl_seconds=60))
    response = httpx.get(f"{service.base}/v1/conversations/tok-3", headers=auth(forged))
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"
    with (
        connect(_ws(service.base, "tok-3"), subprotocols=["coachline.bearer", expired]) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=5)
    assert closed.value.rcvd.code == 4401 and "expired" in closed.value.rcvd.reason


def test_cross_origin_pages_need_their_origin_allowed_by_the_tenant(service: Service):
    _say(service, "tok-4", "where is my parcel")
    token = _token(service, "tok-4")["token"]
    preflight = {
        "Origin": PAGE,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    denied = httpx.options(f"{service.base}/v1/conversations/tok-4", headers=preflight)
    assert denied.status_code == 403 and "coach keys origins" in denied.text  # none allowed by default
    blocked = httpx.get(f"{service.base}/v1/conversations/tok-4", headers={**auth(token), "Origin": PAGE})
    assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in blocked.headers
    engine = make_engine(service.url)
    with session_scope(sessionmaker(engine)) as session:
        assert set_origins(session, "acme", [PAGE + "/"], []) == [PAGE]
    engine.dispose()
    time.sleep(service.settings.key_cache_seconds + 0.1)  # the tenant and origin caches expire
    allowed = httpx.options(f"{service.base}/v1/conversations/tok-4", headers=preflight)
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == PAGE
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    read = httpx.get(f"{service.base}/v1/conversations/tok-4", headers={**auth(token), "Origin": PAGE})
    assert read.status_code == 200 and read.headers["access-control-allow-origin"] == PAGE
    # Another tenant's token from acme's page: the origin is acme's, not globex's.
    httpx.post(
        f"{service.base}/v1/conversations/tok-5/turns",
        headers=auth(service.other_key),
        json={"role": "customer", "text": "hello"},
    )
    globex = httpx.post(f"{service.base}/v1/tokens", headers=auth(service.other_key), json={"conversation_id": "tok-5"})
    crossed = httpx.get(
        f"{service.base}/v1/conversations/tok-5", headers={**auth(globex.json()["token"]), "Origin": PAGE}
    )
    assert crossed.status_code == 403 and crossed.json()["error"]["code"] == "origin_not_allowed"


def test_origins_are_normalised_and_checked():
    assert normalise_origin("https://Chat.Example.com/") == "https://chat.example.com"
    with pytest.raises(ValueError, match="scheme://host"):
        normalise_origin("chat.example.com/path")


def test_the_demo_and_the_landing_page_work_with_no_set_up(service: Service):
    landing = httpx.get(f"{service.base}/")
    assert landing.status_code == 200 and 'href="/demo"' in landing.text and 'href="/docs"' in landing.text
    page = httpx.get(f"{service.base}/demo")
    assert page.status_code == 200 and "demo" in page.text.lower() and "/widget/coachline.js" in page.text
    assert httpx.get(f"{service.base}/widget/coachline.js").status_code == 200
    token = httpx.get(f"{service.base}/demo/token", params={"conversation_id": "demo-abc"}).json()["token"]
    said = httpx.post(
        f"{service.base}/demo/conversations/demo-abc/turns", json={"role": "customer", "text": "This is outrageous!"}
    )
    assert said.status_code == 201 and said.json()["customer"] is not None
    assert httpx.get(f"{service.base}/v1/conversations/demo-abc", headers=auth(token)).status_code == 200
    other = httpx.get(f"{service.base}/v1/conversations/tok-1", headers=auth(token))
    assert other.status_code == 403  # demo tokens open demo-* conversations of the demo tenant only
    assert (
        httpx.post(
            f"{service.base}/demo/conversations/acme-1/turns", json={"role": "customer", "text": "x"}
        ).status_code
        == 403
    )
    assert httpx.get(f"{service.base}/demo/token", params={"conversation_id": "acme-1"}).status_code == 422


@pytest.mark.parametrize(
    ("host", "demo", "served"),
    [("127.0.0.1", None, True), ("0.0.0.0", None, False), ("0.0.0.0", True, True), ("::1", False, False)],
)
def test_the_demo_is_on_by_default_only_on_loopback(host: str, demo: bool | None, served: bool):
    settings = Settings(host=host, demo=demo)
    paths = set(create_app(settings).openapi()["paths"])
    assert settings.demo_enabled is served and ("/demo/token" in paths) is served
    assert "/v1/tokens" in paths
