import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from app.conversations.models import TurnRecord
from app.conversations.service import append_turn, get_conversation, get_or_create_conversation, list_turns
from app.storage.database import make_engine, session_scope
from app.tenants.service import get_or_create_tenant


def test_turns_are_stored_in_order_and_scoped_to_the_tenant(database_url: str):
    factory = sessionmaker(make_engine(database_url))
    with session_scope(factory) as session:
        for tenant in ("acme", "globex"):
            get_or_create_tenant(session, tenant)
        mine = get_or_create_conversation(session, "acme", "chat-1")
        append_turn(session, mine, role="customer", text="Where is my order?")
        append_turn(session, mine, role="agent", text="Checking now.", analysis={"agent": {"flags": []}})
        theirs = get_or_create_conversation(session, "globex", "chat-1")  # same id, other tenant
        append_turn(session, theirs, role="customer", text="Hello")
    with session_scope(factory) as session:
        mine = get_conversation(session, "acme", "chat-1")
        assert [(t.seq, t.role, t.text) for t in list_turns(session, mine)] == [
            (0, "customer", "Where is my order?"),
            (1, "agent", "Checking now."),
        ]
        assert list_turns(session, mine)[1].analysis == {"agent": {"flags": []}}
        assert [t.text for t in list_turns(session, get_conversation(session, "globex", "chat-1"))] == ["Hello"]
        assert get_conversation(session, "initech", "chat-1") is None


def test_duplicate_sequence_numbers_are_refused(database_url: str):
    factory = sessionmaker(make_engine(database_url))
    with pytest.raises(IntegrityError), session_scope(factory) as session:
        get_or_create_tenant(session, "acme")
        conversation = get_or_create_conversation(session, "acme", "race")
        session.add(TurnRecord(conversation_id=conversation.id, seq=0, role="customer", text="a"))
        session.add(TurnRecord(conversation_id=conversation.id, seq=0, role="customer", text="b"))
        session.flush()


def test_append_turn_at_a_given_seq_refuses_a_taken_one(database_url: str):
    factory = sessionmaker(make_engine(database_url))
    with session_scope(factory) as session:
        get_or_create_tenant(session, "acme")
        conversation_id = get_or_create_conversation(session, "acme", "fast").id
        assert append_turn(session, conversation_id, role="customer", text="Hi", analysis={"index": 0}, seq=0) == 0
    with session_scope(factory) as session:
        stored = list_turns(session, get_conversation(session, "acme", "fast"))
        assert [(t.seq, t.text, t.analysis) for t in stored] == [(0, "Hi", {"index": 0})]
        assert stored[0].created_at is not None
    with pytest.raises(IntegrityError), session_scope(factory) as session:  # another writer had seq 0
        append_turn(session, conversation_id, role="agent", text="Hello", seq=0)
