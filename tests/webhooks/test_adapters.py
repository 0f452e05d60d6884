"""Adapters alone: signatures checked against vectors computed here with hashlib/hmac, parsing of
each platform's sample, secret rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.webhooks.adapters import ADAPTERS
from app.webhooks.adapters.base import PayloadError, Request, SignatureError
from app.webhooks.adapters.intercom import plain
from app.webhooks.models import Integration
from app.webhooks.service import valid_secrets
from tests.webhooks import samples


def _request(body: bytes, headers: dict[str, str], url: str = "https://coach.example.com/v1/webhooks/x") -> Request:
    return Request(body, {k.lower(): v for k, v in headers.items()}, url, headers.get("Content-Type", ""))


def test_zendesk_verifies_and_maps_authors():
    body = samples.zendesk_delivery("c1", "m1", "business", "Let me look into that for you.")
    request = _request(body, samples.zendesk_headers("s3cret", body))
    ADAPTERS["zendesk"].verify(request, ["other", "s3cret"])
    with pytest.raises(SignatureError):
        ADAPTERS["zendesk"].verify(request, ["other"])
    events = ADAPTERS["zendesk"].parse(request)
    assert [e.event_id for e in events] == ["evt-m1", "evt-read-m1"]
    (turn,) = events[0].turns
    assert (turn.conversation_id, turn.role, turn.agent_id) == ("c1", "agent", "agent-ana")
    assert events[1].turns == ()  # a read receipt: no chat message


def test_twilio_json_bodies_are_checked_by_their_sha256_in_the_url():
    body = json.dumps(samples.twilio_form("CH1", "IM1", "whatsapp:+447700900123", "hello?")).encode()
    url = f"https://coach.example.com/v1/webhooks/twilio?integration=i&bodySHA256={hashlib.sha256(body).hexdigest()}"
    mac = base64.b64encode(hmac.new(b"token", url.encode(), hashlib.sha1).digest()).decode()
    request = _request(body, {"Content-Type": "application/json", "X-Twilio-Signature": mac}, url)
    ADAPTERS["twilio"].verify(request, ["token"])
    assert ADAPTERS["twilio"].parse(request)[0].turns[0].role == "customer"  # a WhatsApp address
    tampered = _request(body + b" ", {"Content-Type": "application/json", "X-Twilio-Signature": mac}, url)
    with pytest.raises(SignatureError, match="bodySHA256"):
        ADAPTERS["twilio"].verify(tampered, ["token"])


def test_intercom_html_bodies_and_notes():
    assert plain("<p>Hi <b>there</b>,</p><p>it&#39;s broken<br>again</p>") == "Hi there,\nit's broken\nagain"
    body = samples.intercom_delivery("n1", "c9", "admin", "<p>On it.</p>").replace(
        b"conversation.admin.replied", b"conversation.admin.noted"
    )
    assert ADAPTERS["intercom"].parse(_request(body, {}))[0].turns == ()  # internal notes stay internal
    with pytest.raises(PayloadError):
        ADAPTERS["intercom"].parse(_request(b'{"hello": 1}', {}))


def test_a_rotated_secret_stays_valid_through_its_grace_period_only():
    now = datetime.now(UTC)
    integration = Integration(secret="new", previous_secret="old", previous_valid_until=now + timedelta(hours=1))
    assert valid_secrets(integration, now) == ["new", "old"]
    assert valid_secrets(integration, now + timedelta(hours=2)) == ["new"]
