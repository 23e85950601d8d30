"""Staff session cookies (``<account id>:<nonce>``, signed) and the CSRF tokens bound to them.

A signed-out visitor's cookie (account 0) exists only to bind the sign-in form's CSRF
token and lives in the cookie alone. A signed-in cookie is honoured only while its
session is in the :class:`StaffSessionStore`: signing out or disabling the account
removes it there, so a copied cookie dies with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from console.signed_cookie import CookieSigner
from console.staff.session_store import StaffSessionStore
from store.db import utcnow

STAFF_COOKIE = "concierge_staff"
STAFF_COOKIE_TTL_SECONDS = 12 * 3600


class StaffSessions:
    """Issues, checks and ends staff sessions and the CSRF tokens bound to them."""

    def __init__(
        self, secret: bytes, store: StaffSessionStore, clock: Callable[[], datetime] = utcnow
    ) -> None:
        derived = hmac.new(secret, b"concierge staff sessions", hashlib.sha256).digest()
        self._signer = CookieSigner(derived, ttl_seconds=STAFF_COOKIE_TTL_SECONDS)
        self._csrf_key = hmac.new(secret, b"concierge staff csrf", hashlib.sha256).digest()
        self._store = store
        self._clock = clock
        self.ttl_seconds = STAFF_COOKIE_TTL_SECONDS

    def issue(self, account_id: int) -> tuple[str, str]:
        """A new (cookie value, nonce) for ``account_id`` (0 = not signed in).

        A signed-in session is recorded in the store (blocking I/O: call it off the loop).
        """
        nonce = secrets.token_urlsafe(18)
        if account_id:
            expires_at = self._clock() + timedelta(seconds=self.ttl_seconds)
            self._store.start(_key(nonce), account_id, expires_at)
        return self._signer.sign(f"{account_id}:{nonce}"), nonce

    def read(self, value: str | None) -> tuple[int, str] | None:
        """(account id, nonce) of a genuine unexpired cookie, else None (no I/O)."""
        payload = self._signer.verify(value)
        if payload is None or ":" not in payload:
            return None
        raw_id, nonce = payload.split(":", 1)
        return (int(raw_id), nonce) if raw_id.isdigit() and nonce else None

    def is_live(self, account_id: int, nonce: str) -> bool:
        """Whether the signed-in session ``nonce`` of ``account_id`` has not been ended."""
        return self._store.account_of(_key(nonce), self._clock()) == account_id

    def end(self, nonce: str) -> None:
        """End the session ``nonce`` (sign-out); any copy of its cookie stops working."""
        self._store.end(_key(nonce))

    def end_all(self, account_id: int) -> int:
        """End every session of ``account_id`` (the account was disabled)."""
        return self._store.end_all(account_id)

    def csrf_token(self, nonce: str) -> str:
        """The CSRF token of the session with ``nonce``."""
        return hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).hexdigest()


def _key(nonce: str) -> str:
    # The store never holds what the cookie carries: a leaked table is no set of sessions.
    return hashlib.sha256(nonce.encode()).hexdigest()
