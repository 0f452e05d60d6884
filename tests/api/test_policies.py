"""Keys and limits: idempotent retries (200 / 409), read-only keys (403), the per-key rate limit
(429), per-tenant PII modes, and the Prometheus metrics the traffic leaves behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from tests.api.conftest import Service, auth, new_key, running_server


def _post(service: Service, conversation: str, body: dict, key: str | None = None, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{service.base}/v1/conversations/{conversation}/turns",
        json=body,
        headers={**auth(key or service.key), **headers},
    )


def test_a_retried_turn_is_stored_once(service: Service):
    body = {"role": "customer", "text": "Where is my refund for order 8812?"}
    first = _post(service, "idem-1", body, **{"Idempotency-Key": "msg-1"})
    retry = _post(service, "idem-1", body, **{"Idempotency-Key": "msg-1"})
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.headers["X-Turn-Seq"] == "0"
    assert retry.json()["customer"]["state"] == first.json()["customer"]["state"]
    later = _post(service, "idem-1", {"role": "agent", "text": "Checking now."}, **{"Idempotency-Key": "msg-2"})
    assert later.status_code == 201 and later.headers["X-Turn-Seq"] == "1"
    stored = httpx.get(f"{service.base}/v1/conversations/idem-1", headers=auth(service.key)).json()
    assert [t["text"] for t in stored["turns"]] == [body["text"], "Checking now."]


def test_a_reused_idempotency_key_for_another_turn_is_409(service: Service):
    _post(service, "idem-2", {"role": "customer", "text": "hello"}, **{"Idempotency-Key": "k"})
    clash = _post(service, "idem-2", {"role": "customer", "text": "something else"}, **{"Idempotency-Key": "k"})
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "idempotency_key_reused" and "new key" in clash.json()["error"]["message"]


def test_a_read_only_key_reads_but_cannot_add_turns(service: Service):
    _post(service, "ro-1", {"role": "customer", "text": "My invoice is wrong."})
    reader = new_key(service.url, "acme", scope="read")
    refused = _post(service, "ro-1", {"role": "agent", "text": "Let me look."}, key=reader)
    assert refused.status_code == 403 and "read-only" in refused.json()["error"]["message"]
    assert httpx.get(f"{service.base}/v1/conversations/ro-1", headers=auth(reader)).status_code == 200
    draft = httpx.post(f"{service.base}/v1/conversations/ro-1/draft", headers=auth(reader), json={"text": "Hi"})
    assert draft.status_code == 200


def test_a_revoked_key_is_refused_once_the_key_cache_expires(service: Service):
    import time

    from sqlalchemy.orm import sessionmaker

    from app.storage.database import make_engine, session_scope
    from app.tenants.service import revoke_key

    secret = new_key(service.url, "acme")
    assert _post(service, "revoke-1", {"role": "customer", "text": "Hello?"}, key=secret).status_code == 201
    engine = make_engine(service.url)
    with session_scope(sessionmaker(engine)) as session:  # as `coach keys revoke` does, from another process
        assert revoke_key(session, secret.split("_")[1])
    engine.dispose()
    time.sleep(service.settings.key_cache_seconds + 0.1)
    refused = _post(service, "revoke-1", {"role": "customer", "text": "Hello again?"}, key=secret)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]


def test_masking_tenant_keeps_last_four_digits(service: Service):
    masked = new_key(service.url, "initech", pii_mode="mask")
    card = "4111 1111 1111 1111"
    assert _post(service, "pii-1", {"role": "customer", "text": f"Card {card} was charged twice"}, masked).is_success
    stored = httpx.get(f"{service.base}/v1/conversations/pii-1", headers=auth(masked)).json()["turns"][0]["text"]
    assert card not in stored and stored.endswith("1111 was charged twice") and "*" in stored


@pytest.mark.parametrize(
    ("first", "second", "stored"),
    [
        (  # a reply to the agent's question is the secret itself
            {"role": "agent", "text": "Can you give me the answer to your security question?"},
            {"role": "customer", "text": "its marmalade"},
            ["Can you give me the answer to your security question?", "its <CREDENTIAL>"],
        ),
        (  # a name only the tagger found in the customer's turn, typed back by the agent
            {"role": "customer", "text": "the parcel for Oksana Bilyk went to the wrong flat"},
            {"role": "agent", "text": "I have flagged it for you, Oksana, and a courier will collect it."},
            [
                "the parcel for <PERSON> went to the wrong flat",
                "I have flagged it for you, <PERSON>, and a courier will collect it.",
            ],
        ),
    ],
    ids=["reply-to-the-question", "name-typed-back"],
)
def test_pii_is_stored_redacted_and_a_retried_turn_replays_as_itself(
    service: Service, first: dict, second: dict, stored: list[str], request: pytest.FixtureRequest
):
    conversation = f"pii-{request.node.callspec.id}"  # one conversation per case and database
    assert _post(service, conversation, first).is_success
    assert _post(service, conversation, second, **{"Idempotency-Key": "second"}).status_code == 201
    assert _post(service, conversation, second, **{"Idempotency-Key": "second"}).status_code == 200  # no conflict
    turns = httpx.get(f"{service.base}/v1/conversations/{conversation}", headers=auth(service.key)).json()["turns"]
    assert [t["text"] for t in turns] == stored


def test_metrics_count_requests_latency_batches_and_cues(service: Service):
    _post(service, "metrics-1", {"role": "customer", "text": "I WANT A MANAGER NOW!!!"})
    text = httpx.get(f"{service.base}/metrics").text
    assert (
        'coachline_http_requests_total{method="POST",route="/v1/conversations/{conversation_id}/turns",status="201"}'
        in text
    )
    assert 'coachline_http_request_duration_seconds_bucket{le="0.015",method="POST"' in text
    assert "coachline_model_batch_size_count" in text
    assert 'coachline_customer_cues_total{cue="escalation"}' in text
    assert "metrics-1" not in text  # ids never become labels


@pytest.fixture(scope="module")
def limited(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    from tests.conftest import migrated_database

    with migrated_database("sqlite", tmp_path_factory.mktemp("limited")) as url:
        settings = Settings(database_url=url, model_path=tiny_artifact, rate_limit_per_minute=3)
        with running_server(settings) as base:
            yield Service(base, new_key(url, "acme"), new_key(url, "globex"), url, settings)


def test_rate_limit_is_per_key_with_retry_after(limited: Service):
    answers = [
        httpx.post(f"{limited.base}/v1/analyze", json={"text": "hi"}, headers=auth(limited.key)) for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "per minute" in answers[-1].json()["error"]["message"]
    other = httpx.post(f"{limited.base}/v1/analyze", json={"text": "hi"}, headers=auth(limited.other_key))
    assert other.status_code == 200
