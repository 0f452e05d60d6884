from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.storage.database import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pii_mode: Mapped[str] = mapped_column(String(8), default="redact")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    keys: Mapped[list[ApiKey]] = relationship(back_populates="tenant")


class ApiKey(Base):
    """A bearer key: only its SHA-256 is stored; `id` (the key's visible prefix) finds it."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # "coach": everything; "read": reads, drafts and stateless analysis, but adds no turns (QA dashboards).
    scope: Mapped[str] = mapped_column(String(16), default="coach")
    tenant: Mapped[Tenant] = relationship(back_populates="keys")
