from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.database import Base
from app.tenants.models import utcnow


class Integration(Base):
    """A platform's webhooks into one tenant. The signing secret is the platform's shared secret,
    kept as given (it must be usable to compute HMACs); during a rotation the previous one stays
    valid until `previous_valid_until`."""

    __tablename__ = "integrations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128), default=None)
    previous_valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookEvent(Base):
    """One acknowledged platform event: stored before the 2xx, processed after it, exactly once."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("tenant_id", "platform", "event_id", name="uq_webhook_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(128))
    integration_id: Mapped[str] = mapped_column(String(32))
    turns: Mapped[list] = mapped_column(JSON)  # [{"conversation_id", "role", "text", "ts", "agent_id"}]
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending|done|ignored|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
