from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.storage.database import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class Tenant(Base):
    __tablename__ = "tenants"

    def origins(self) -> set[str]:
        return set(self.allowed_origins.split()) if self.allowed_origins else set()

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pii_mode: Mapped[str] = mapped_column(String(8), default="redact")
    # Origins whose pages may call the API with this tenant's tokens (CORS), space-separated; none by default.
    allowed_origins: Mapped[str] = mapped_column(Text, default="", server_default="")
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


class ServerSecret(Base):
    """A secret every worker shares (the browser-token signing key), made once on first start."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
