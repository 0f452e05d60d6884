import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from app.storage.database import make_engine, session_scope
from app.tenants.models import ApiKey
from app.tenants.service import authenticate, create_key, revoke_key


def test_keys_are_stored_hashed_and_authenticate_until_revoked(database_url: str):
    factory = sessionmaker(make_engine(database_url))
    with session_scope(factory) as session:
        key = create_key(session, "acme")
    with session_scope(factory) as session:
        stored = session.scalars(sa.select(ApiKey)).one()
        assert key.secret not in stored.key_hash and len(stored.key_hash) == 64
        assert authenticate(session, key.secret).tenant_id == "acme"
        assert authenticate(session, key.secret[:-1] + "x") is None
        assert authenticate(session, "not-a-key") is None
        assert revoke_key(session, key.key_id)
    with session_scope(factory) as session:
        assert authenticate(session, key.secret) is None
        assert not revoke_key(session, key.key_id)  # already revoked


def test_cli_creates_key_as_last_word_and_revokes(database_url: str):
    def coach(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", *args, "--database-url", database_url],
            capture_output=True,
            text=True,
            timeout=120,
        )

    created = coach("create", "--tenant", "globex")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1].split()[-1]
    factory = sessionmaker(make_engine(database_url))
    with session_scope(factory) as session:
        key = authenticate(session, secret)
        assert key is not None and key.tenant_id == "globex"
        key_id = key.id
    revoked = coach("revoke", key_id)
    assert revoked.returncode == 0
    again = coach("revoke", key_id)
    assert again.returncode == 1 and "no live key" in again.stderr


def test_key_cache_remembers_keys_for_its_ttl_only(database_url: str):
    from app.tenants.service import KeyCache

    factory = sessionmaker(make_engine(database_url), expire_on_commit=False)
    with session_scope(factory) as session:
        new = create_key(session, "acme")
    with session_scope(factory) as session:
        key = authenticate(session, new.secret)
        _ = key.tenant
    now = [1000.0]
    cache = KeyCache(ttl_s=5, timer=lambda: now[0])
    cache.put(new.secret, key)
    assert cache.get(new.secret).tenant.id == "acme"
    assert cache.get(new.secret[:-1] + "x") is None
    now[0] += 5.1  # a revocation elsewhere is seen once the entry expires
    assert cache.get(new.secret) is None
    off = KeyCache(ttl_s=0)
    off.put(new.secret, key)
    assert off.get(new.secret) is None
