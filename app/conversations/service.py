"""Storing conversations and turns; every query is scoped to one tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.conversations.models import ConversationRecord, TurnRecord
from app.tenants.models import utcnow


def get_conversation(session: Session, tenant_id: str, external_id: str) -> ConversationRecord | None:
    """The tenant's conversation with this id; another tenant's is indistinguishable from none."""
    return session.scalar(
        select(ConversationRecord).where(
            ConversationRecord.tenant_id == tenant_id, ConversationRecord.external_id == external_id
        )
    )


def get_or_create_conversation(session: Session, tenant_id: str, external_id: str) -> ConversationRecord:
    conversation = get_conversation(session, tenant_id, external_id)
    if conversation is None:
        conversation = ConversationRecord(tenant_id=tenant_id, external_id=external_id)
        session.add(conversation)
        session.flush()
    return conversation


def append_turn(
    session: Session,
    conversation: ConversationRecord | int,
    *,
    role: str,
    text: str,
    ts: datetime | None = None,
    agent_id: str | None = None,
    analysis: dict | None = None,
    client_key: str | None = None,
    seq: int | None = None,
) -> int:
    """Add a turn at `seq` (default: the next one) with one INSERT; returns its seq.

    The (conversation, seq) unique constraint turns a concurrent writer's race into an
    IntegrityError for the caller to retry. `conversation`: the record or its id; a caller that
    knows both id and seq (the live service) saves both reads."""
    conversation_id = conversation if isinstance(conversation, int) else conversation.id
    if seq is None:
        last = session.scalar(select(func.max(TurnRecord.seq)).where(TurnRecord.conversation_id == conversation_id))
        seq = 0 if last is None else last + 1
    session.execute(
        insert(TurnRecord).values(
            conversation_id=conversation_id,
            seq=seq,
            role=role,
            text=text,
            ts=ts,
            agent_id=agent_id,
            analysis=analysis,
            client_key=client_key,
            created_at=utcnow(),
        )
    )
    return seq


def list_turns(session: Session, conversation: ConversationRecord) -> list[TurnRecord]:
    return list(
        session.scalars(
            select(TurnRecord).where(TurnRecord.conversation_id == conversation.id).order_by(TurnRecord.seq)
        )
    )


def turn_count(session: Session, tenant_id: str, external_id: str) -> int:
    """How many turns are stored (seqs run 0..n-1): tells a worker whether its state is current."""
    last = session.scalar(
        select(func.max(TurnRecord.seq))
        .join(ConversationRecord, TurnRecord.conversation_id == ConversationRecord.id)
        .where(ConversationRecord.tenant_id == tenant_id, ConversationRecord.external_id == external_id)
    )
    return 0 if last is None else last + 1


def find_turn_by_key(session: Session, tenant_id: str, external_id: str, client_key: str) -> TurnRecord | None:
    return session.scalar(
        select(TurnRecord)
        .join(ConversationRecord, TurnRecord.conversation_id == ConversationRecord.id)
        .where(
            ConversationRecord.tenant_id == tenant_id,
            ConversationRecord.external_id == external_id,
            TurnRecord.client_key == client_key,
        )
    )


def recent_agent_turns(session: Session, limit: int, after_id: int | None = None) -> list[tuple[int, str, str, str]]:
    """(turn row id, tenant, conversation id, text) of stored agent turns, oldest first: the
    latest `limit`, or with `after_id` the first `limit` stored after that row."""
    query = (
        select(TurnRecord.id, ConversationRecord.tenant_id, ConversationRecord.external_id, TurnRecord.text)
        .join(ConversationRecord, TurnRecord.conversation_id == ConversationRecord.id)
        .where(TurnRecord.role == "agent")
    )
    if after_id is not None:
        rows = session.execute(query.where(TurnRecord.id > after_id).order_by(TurnRecord.id).limit(limit)).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]
    rows = session.execute(query.order_by(TurnRecord.id.desc()).limit(limit)).all()
    return [tuple(row) for row in reversed(rows)]  # type: ignore[misc]


def last_turn_id(session: Session) -> int:
    return session.scalar(select(func.max(TurnRecord.id))) or 0
