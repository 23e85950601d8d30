"""API keys of the shop's other systems: which system may call ``api/``, with which scopes.

A key is a token ``ck_<key id>_<secret>``. The key id is public (it names the key in
``python -m api keys list`` and in the API's log); the secret is shown once, when the key
is created, and the database keeps only its SHA-256. A fast hash is enough here, unlike
for staff passwords (argon2 in the console): the secret is 32 random bytes, so there is
nothing to guess from a leaked hash, and every API call checks it.

The table is declared here rather than in ``store/models.py`` because nothing else in
the store points at it; ``store.db.MODEL_MODULES`` lists this module so the one Alembic
history (revision ``0008_api_keys``) covers it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from store.db import UnitOfWork
from store.models import Base

TOKEN_PREFIX = "ck_"
_KEY_ID_BYTES = 6  # 12 hex characters: unique enough to name a key, not a secret
_SECRET_BYTES = 32
_TOKEN = re.compile(rf"^{TOKEN_PREFIX}([0-9a-f]{{{2 * _KEY_ID_BYTES}}})_([A-Za-z0-9_-]{{20,100}})$")
NAME_MAX = 100
# Every scope a key can grant, and what it opens: what the API checks (api/auth.py) and the
# console's API keys page offers. Defined here because the console's image has no api/.
SCOPES: dict[str, str] = {
    "recommendations:read": "recommendations for a customer, similar products, product search",
    "scores:read": "purchase propensity, segment and lifecycle stage of a customer",
    "offers:decide": "offer decisions for a customer, and recording them",
    "identities:write": "one-time codes that link a customer's messaging account (Telegram)",
}


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(2 * _KEY_ID_BYTES), unique=True, index=True)
    # Who uses the key ("newsletter tool"), as the operator typed it.
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiKeyError(ValueError):
    """A key cannot be created or revoked as asked; the message says why."""


@dataclass(frozen=True)
class ApiKeyView:
    """One key as the API and the command line see it (never its secret)."""

    key_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyView:
        return cls(row.key_id, row.name, tuple(row.scopes or ()), row.created_at, row.revoked_at)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys(UnitOfWork):
    """Create, list, revoke and check the API keys kept in the shop database."""

    def create(self, name: str, scopes: Iterable[str]) -> tuple[ApiKeyView, str]:
        """A new key with ``scopes``; returns it and its token (the only time it is seen)."""
        name = " ".join(name.split())
        if not name or len(name) > NAME_MAX:
            raise ApiKeyError(f"a key needs a name of 1 to {NAME_MAX} characters, got {name!r}")
        granted = sorted(set(scopes))
        if not granted:
            raise ApiKeyError("a key needs at least one scope")
        secret = secrets.token_urlsafe(_SECRET_BYTES)
        with self._write() as s:
            key_id = secrets.token_hex(_KEY_ID_BYTES)
            while s.scalar(select(ApiKey.id).where(ApiKey.key_id == key_id)) is not None:
                key_id = secrets.token_hex(_KEY_ID_BYTES)
            row = ApiKey(
                key_id=key_id,
                name=name,
                secret_sha256=_digest(secret),
                scopes=granted,
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
            view = ApiKeyView.of(row)
        return view, f"{TOKEN_PREFIX}{key_id}_{secret}"

    def list(self) -> list[ApiKeyView]:
        """Every key, oldest first, revoked ones included."""
        with self._read() as s:
            return [ApiKeyView.of(r) for r in s.scalars(select(ApiKey).order_by(ApiKey.id))]

    def revoke(self, key_id: str) -> ApiKeyView:
        """Revoke a key by its id (idempotent: a revoked key keeps its first revocation time)."""
        with self._write() as s:
            row = s.scalar(select(ApiKey).where(ApiKey.key_id == key_id.strip().lower()))
            if row is None:
                raise ApiKeyError(f"no API key with id {key_id!r} (see `python -m api keys list`)")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
            s.flush()
            return ApiKeyView.of(row)

    def authenticate(self, token: str) -> ApiKeyView | None:
        """The active key ``token`` belongs to; None when it is malformed, unknown or revoked."""
        match = _TOKEN.match(token.strip())
        if match is None:
            return None
        key_id, secret = match.groups()
        with self._read() as s:
            row = s.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_sha256, _digest(secret)):
                return None
            return ApiKeyView.of(row)
