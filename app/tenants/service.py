"""Tenants and their API keys.

Keys are 256-bit random tokens, so a fast hash is enough (nothing to brute-force); the
visible `ck_<id>` part locates the row, the secret part is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.tenants.models import ApiKey, Tenant, utcnow

Cached = TypeVar("Cached")
KEY_PREFIX = "ck_"
PII_MODES = ("off", "redact", "mask")
SCOPES = ("coach", "read")  # read: no new turns (QA dashboards, reporting)


@dataclass(frozen=True)
class NewKey:
    key_id: str
    tenant: str
    secret: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def get_or_create_tenant(session: Session, tenant_id: str, pii_mode: str = "redact") -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        tenant = Tenant(id=tenant_id, pii_mode=pii_mode)
        session.add(tenant)
        session.flush()
    return tenant


def set_pii_mode(session: Session, tenant_id: str, pii_mode: str) -> Tenant:
    """Change what storage and logs keep of this tenant's PII from now on (off / redact / mask)."""
    if pii_mode not in PII_MODES:
        raise ValueError(f"pii mode must be one of {', '.join(PII_MODES)}, not {pii_mode!r}")
    tenant = get_or_create_tenant(session, tenant_id, pii_mode)
    tenant.pii_mode = pii_mode
    return tenant


def create_key(session: Session, tenant_id: str, pii_mode: str = "redact", scope: str = "coach") -> NewKey:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    get_or_create_tenant(session, tenant_id, pii_mode)
    key_id = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(id=key_id, tenant_id=tenant_id, key_hash=_hash(secret), scope=scope))
    session.flush()
    return NewKey(key_id=key_id, tenant=tenant_id, secret=secret)


def revoke_key(session: Session, key_id: str) -> bool:
    """Revoke by id (or by the whole key); False when no live key matches."""
    if key_id.startswith(KEY_PREFIX):
        key_id = key_id[len(KEY_PREFIX) :].split("_", 1)[0]
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    return True


def authenticate(session: Session, secret: str) -> ApiKey | None:
    """The live key this bearer secret belongs to, or None."""
    if not secret.startswith(KEY_PREFIX) or "_" not in secret[len(KEY_PREFIX) :]:
        return None
    key_id = secret[len(KEY_PREFIX) :].split("_", 1)[0]
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)))
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    return key


class KeyCache(Generic[Cached]):
    """Keys that authenticated in the last `ttl_s` seconds, with their tenants (or, for browser
    tokens, tenants by id: `KeyCache[Tenant]`).

    A chat posts a turn every few seconds, and each would otherwise cost a database round
    trip (and a thread hop) before any work starts. The price: a revocation or a tenant's
    PII-mode change made by another process takes effect within `ttl_s` (0 turns caching off).
    Entries are keyed by the secret's hash, so no plaintext secret is kept."""

    def __init__(self, ttl_s: float, max_size: int = 10_000, timer: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._keys: TTLCache[str, Cached] | None = TTLCache(max_size, ttl_s, timer=timer) if ttl_s > 0 else None
        self._lock = threading.Lock()

    def get(self, secret: str) -> Cached | None:
        if self._keys is None:
            return None
        with self._lock:
            return self._keys.get(_hash(secret))

    def put(self, secret: str, key: Cached) -> None:
        """Remember an authenticated key; its tenant must be loaded (the object is read detached)."""
        if self._keys is not None:
            with self._lock:
                self._keys[_hash(secret)] = key


def set_origins(session: Session, tenant_id: str, add: list[str], remove: list[str]) -> list[str]:
    """Change which web origins may use this tenant's browser tokens; returns the list now."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise LookupError(f"no tenant {tenant_id!r} (create one with coach keys create --tenant {tenant_id})")
    origins = (tenant.origins() | {normalise_origin(o) for o in add}) - {normalise_origin(o) for o in remove}
    tenant.allowed_origins = " ".join(sorted(origins))
    session.commit()
    return sorted(origins)


def normalise_origin(origin: str) -> str:
    """`https://Chat.Example.com/` -> `https://chat.example.com`; refuses anything but scheme://host[:port]."""
    from urllib.parse import urlsplit

    parts = urlsplit(origin.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"} or parts.query:
        raise ValueError(f"{origin!r} is not an origin: give scheme://host[:port], e.g. https://chat.example.com")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class AllowedOrigins:
    """Every tenant's allowed origins together (a browser's CORS preflight names no tenant), read
    from the database at most every `ttl_s` seconds."""

    def __init__(self, sessions, ttl_s: float = 5.0, timer: Callable[[], float] = time.monotonic) -> None:
        self.sessions, self.ttl_s, self.timer = sessions, ttl_s, timer
        self._origins: frozenset[str] = frozenset()
        self._read_at: float | None = None

    def stale(self) -> bool:
        return self._read_at is None or self.timer() - self._read_at >= self.ttl_s

    def refresh(self) -> frozenset[str]:
        with self.sessions() as session:
            rows = session.scalars(select(Tenant.allowed_origins).where(Tenant.allowed_origins != "")).all()
        self._origins = frozenset(o for row in rows for o in row.split())
        self._read_at = self.timer()
        return self._origins

    def __contains__(self, origin: str) -> bool:
        return origin in self._origins
