"""The service slice over real HTTP (fixtures in tests/api/conftest.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import auth


def test_health_and_readiness(service):
    base = service.base
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/readyz").json()
    assert ready == {"status": "ready", "checks": {"model": True, "database": True}}


def test_analyze_needs_a_valid_key(service):
    base, key = service.base, service.key
    missing = httpx.post(f"{base}/v1/analyze", json={"text": "hi"})
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["error"]["message"]
    wrong = httpx.post(f"{base}/v1/analyze", json={"text": "hi"}, headers={"Authorization": "Bearer ck_nope_x"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_key"
    ok = httpx.post(
        f"{base}/v1/analyze", json={"text": "Where is my refund?!!"}, headers={"Authorization": f"Bearer {key}"}
    )
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
    base, key = service.base, service.key
    response = httpx.post(f"{base}/v1/analyze", json=payload, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]


def test_malformed_json_is_422_not_500(service):
    base, key = service.base, service.key
    response = httpx.post(
        f"{base}/v1/analyze",
        content=b"{not json",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"


def test_turns_are_analysed_stored_and_private_to_the_tenant(service):
    base, key = service.base, service.key
    card = "4111 1111 1111 1111"
    first = httpx.post(
        f"{base}/v1/conversations/chat-7/turns",
        headers=auth(key),
        json={"role": "customer", "text": f"I was charged twice on card {card}!!"},
    )
    assert first.status_code == 201, first.text
    assert first.json()["customer"] is not None and first.json()["index"] == 0
    second = httpx.post(
        f"{base}/v1/conversations/chat-7/turns",
        headers=auth(key),
        json={"role": "agent", "text": "We apologize for the inconvenience."},
    )
    assert second.json()["agent"]["sentences"][0]["templated"]["flag"] is True
    stored = httpx.get(f"{base}/v1/conversations/chat-7", headers=auth(key)).json()
    assert [t["role"] for t in stored["turns"]] == ["customer", "agent"]
    assert card not in stored["turns"][0]["text"] and "<CREDIT_CARD>" in stored["turns"][0]["text"]
    assert "learn_coverage" in stored and "trajectory" in stored
    assert card not in service.stored_text() and card.replace(" ", "") not in service.stored_text()
    for path in ("", "/handoff"):
        hidden = httpx.get(f"{base}/v1/conversations/chat-7{path}", headers=auth(service.other_key))
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "conversation_not_found"


def test_draft_is_checked_and_not_stored(service):
    base, key = service.base, service.key
    httpx.post(
        f"{base}/v1/conversations/chat-8/turns",
        headers=auth(key),
        json={"role": "customer", "text": "My order 99120 never arrived."},
    )
    draft = httpx.post(
        f"{base}/v1/conversations/chat-8/draft",
        headers=auth(key),
        json={"text": "Could you give me your order number?"},
    )
    assert draft.status_code == 200
    assert "repeat_ask" in {f["kind"] for f in draft.json()["agent"]["flags"]}
    stored = httpx.get(f"{base}/v1/conversations/chat-8", headers=auth(key)).json()
    assert len(stored["turns"]) == 1
    handoff = httpx.get(f"{base}/v1/conversations/chat-8/handoff", headers=auth(key)).json()
    assert handoff["details"]["order"] == "order 99120"


@pytest.mark.parametrize(
    ("path", "payload", "status"),
    [
        ("/v1/conversations/c1/turns", {"role": "robot", "text": "hi"}, 422),
        ("/v1/conversations/c1/turns", {"role": "customer", "text": "x" * 201}, 413),
        ("/v1/conversations/bad%20id/turns", {"role": "customer", "text": "hi"}, 422),
        ("/v1/conversations/c1/draft", {"text": ""}, 422),
    ],
)
def test_conversation_input_errors(service, path, payload, status):
    base, key = service.base, service.key
    response = httpx.post(f"{base}{path}", headers=auth(key), json=payload)
    assert response.status_code == status and response.json()["error"]["message"]


def test_openapi_shows_real_examples_that_match_the_schema(service):
    from app.api.examples import turn_examples
    from app.coaching.analysis import TurnAnalysis

    spec = httpx.get(f"{service.base}/openapi.json").json()
    operation = spec["paths"]["/v1/conversations/{conversation_id}/turns"]["post"]
    assert set(operation["requestBody"]["content"]["application/json"]["examples"]) == set(turn_examples())
    shown = operation["responses"]["201"]["content"]["application/json"]["examples"]
    for name, pair in turn_examples().items():
        assert shown[name]["value"] == pair["response"]
        TurnAnalysis.model_validate(pair["response"])  # still the shape the API returns
    assert {"401", "403", "409", "413", "422", "429"} <= set(operation["responses"])
