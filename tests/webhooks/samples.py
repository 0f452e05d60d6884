"""Realistic webhook deliveries of each platform (our own samples, shaped as the platforms document
them), and their signatures computed here with hashlib/hmac alone: never with the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode


def zendesk_delivery(conversation: str, message_id: str, author_type: str, text: str) -> bytes:
    return json.dumps(
        {
            "app": {"id": "5ebee0975ac5304b664a12fa"},
            "webhook": {"id": "5f74a0d52b5315fc007b7f1b", "version": "v2"},
            "events": [
                {
                    "id": f"evt-{message_id}",
                    "createdAt": "2026-11-26T09:12:44.312Z",
                    "type": "conversation:message",
                    "payload": {
                        "conversation": {"id": conversation, "type": "personal"},
                        "message": {
                            "id": message_id,
                            "received": "2026-11-26T09:12:44.312Z",
                            "author": {
                                "type": author_type,
                                "userId": "6b1a2f" if author_type == "user" else "agent-ana",
                                "displayName": "Ana (Support)" if author_type == "business" else "Priya",
                            },
                            "content": {"type": "text", "text": text},
                            "source": {"type": "web"},
                        },
                    },
                },
                {
                    "id": f"evt-read-{message_id}",
                    "createdAt": "2026-11-26T09:12:45.001Z",
                    "type": "conversation:read",
                    "payload": {"conversation": {"id": conversation}},
                },
            ],
        }
    ).encode()


def zendesk_headers(secret: str, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    mac = base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()).decode()
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": mac,
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }


def intercom_delivery(notification: str, conversation: str, author_type: str, html: str) -> bytes:
    topic = "conversation.user.replied" if author_type == "user" else "conversation.admin.replied"
    return json.dumps(
        {
            "type": "notification_event",
            "app_id": "wvb9ql7q",
            "id": notification,
            "topic": topic,
            "created_at": 1764148364,
            "data": {
                "type": "notification_event_data",
                "item": {
                    "type": "conversation",
                    "id": conversation,
                    "created_at": 1764148000,
                    "updated_at": 1764148364,
                    "source": {"type": "conversation", "body": "<p>Hi</p>", "author": {"type": "user", "id": "u1"}},
                    "conversation_parts": {
                        "type": "conversation_part.list",
                        "conversation_parts": [
                            {
                                "type": "conversation_part",
                                "id": "29384719",
                                "part_type": "comment",
                                "body": html,
                                "created_at": 1764148364,
                                "author": {"type": author_type, "id": "814860" if author_type == "admin" else "u1"},
                            }
                        ],
                        "total_count": 1,
                    },
                },
            },
        }
    ).encode()


def intercom_headers(secret: str, body: bytes) -> dict[str, str]:
    mac = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature": f"sha1={mac}"}


def twilio_form(conversation: str, message_sid: str, author: str, text: str) -> dict[str, str]:
    return {
        "AccountSid": "AC00000000000000000000000000000000",
        "EventType": "onMessageAdded",
        "ConversationSid": conversation,
        "MessageSid": message_sid,
        "Index": "3",
        "Author": author,
        "Body": text,
        "ParticipantSid": "MB00000000000000000000000000000000",
        "Source": "SMS" if author.startswith("+") else "SDK",
        "DateCreated": "2026-11-26T09:12:44.312Z",
        "RetryCount": "0",
    }


def twilio_headers(auth_token: str, url: str, params: dict[str, str]) -> tuple[dict[str, str], bytes]:
    signed = url + "".join(k + params[k] for k in sorted(params))
    mac = base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    return (
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": mac},
        urlencode(params).encode(),
    )


def generic_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Coachline-Signature": f"t={timestamp},v1={mac}"}
