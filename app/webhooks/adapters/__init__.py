"""The platform adapters, by the name in `POST /v1/webhooks/{platform}`."""

from __future__ import annotations

from app.webhooks.adapters.base import PlatformAdapter
from app.webhooks.adapters.generic import GenericAdapter
from app.webhooks.adapters.intercom import IntercomAdapter
from app.webhooks.adapters.twilio import TwilioAdapter
from app.webhooks.adapters.zendesk import ZendeskAdapter

ADAPTERS: dict[str, PlatformAdapter] = {
    a.name: a for a in (GenericAdapter(), ZendeskAdapter(), IntercomAdapter(), TwilioAdapter())
}
PLATFORMS = tuple(ADAPTERS)
