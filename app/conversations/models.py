from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.storage.database import Base
from app.tenants.models import utcnow


class ConversationRecord(Base):
    """A conversation, addressed by (tenant, the caller's id): tenants never share ids."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id", name="uq_conversation_per_tenant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    turns: Mapped[list[TurnRecord]] = relationship(back_populates="conversation", order_by="TurnRecord.seq")


class TurnRecord(Base):
    """One stored turn: text as stored (redacted when the tenant asks), and its analysis."""

    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_turn_seq"),
        Index("uq_turn_client_key", "conversation_id", "client_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    agent_id: Mapped[str | None] = mapped_column(String(128), default=None)
    analysis: Mapped[dict | None] = mapped_column(JSON, default=None)
    client_key: Mapped[str | None] = mapped_column(String(128), default=None)  # the caller's Idempotency-Key
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    conversation: Mapped[ConversationRecord] = relationship(back_populates="turns")
