"""Where live staff sessions are kept: a SQL table by default, behind a small interface.

The cookie alone cannot be revoked (a copy stays valid until it expires), so a signed-in
cookie counts only while its session is in the store. Signing out and disabling an
account delete sessions. With ``CONCIERGE_REDIS_URL`` set, the consoles keep them in
Redis instead (``console.shared.staff_sessions.RedisStaffSessionStore``, the same four
methods), so a session started on one instance is live on all and ends on all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, select

from console.models import StaffSession
from store.db import UnitOfWork


class StaffSessionStore(Protocol):
    """The live staff sessions, by a key derived from the cookie (never the cookie itself)."""

    def start(self, key: str, account_id: int, expires_at: datetime) -> None:
        """Record a new session of ``account_id`` that lasts until ``expires_at`` (UTC)."""

    def account_of(self, key: str, now: datetime) -> int | None:
        """The account of the session ``key`` if it is live at ``now``, else None."""

    def end(self, key: str) -> None:
        """End one session (sign-out)."""

    def end_all(self, account_id: int) -> int:
        """End every session of ``account_id``; returns how many there were."""


class SqlStaffSessionStore(UnitOfWork):
    """Staff sessions in the shop database's ``staff_sessions`` table."""

    def start(self, key: str, account_id: int, expires_at: datetime) -> None:
        now = self._clock()
        with self._write() as s:
            # Expired rows are swept at each sign-in, so the table stays the size of the staff.
            s.execute(delete(StaffSession).where(StaffSession.expires_at < now))
            s.add(
                StaffSession(id=key, account_id=account_id, created_at=now, expires_at=expires_at)
            )

    def account_of(self, key: str, now: datetime) -> int | None:
        with self._read() as s:
            return s.scalar(
                select(StaffSession.account_id).where(
                    StaffSession.id == key, StaffSession.expires_at > now
                )
            )

    def end(self, key: str) -> None:
        with self._write() as s:
            s.execute(delete(StaffSession).where(StaffSession.id == key))

    def end_all(self, account_id: int) -> int:
        with self._write() as s:
            ended = s.execute(delete(StaffSession).where(StaffSession.account_id == account_id))
            return int(getattr(ended, "rowcount", 0) or 0)
