"""Staff session cookies (``<account id>:<nonce>``, signed) and the CSRF tokens bound to them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from console.signed_cookie import CookieSigner

STAFF_COOKIE = "concierge_staff"
STAFF_COOKIE_TTL_SECONDS = 12 * 3600


class StaffSessions:
    """Issues and reads staff cookies and the CSRF tokens bound to them."""

    def __init__(self, secret: bytes) -> None:
        derived = hmac.new(secret, b"concierge staff sessions", hashlib.sha256).digest()
        self._signer = CookieSigner(derived, ttl_seconds=STAFF_COOKIE_TTL_SECONDS)
        self._csrf_key = hmac.new(secret, b"concierge staff csrf", hashlib.sha256).digest()
        self.ttl_seconds = STAFF_COOKIE_TTL_SECONDS

    def issue(self, account_id: int) -> tuple[str, str]:
        """A new (cookie value, nonce) for ``account_id`` (0 = not signed in)."""
        nonce = secrets.token_urlsafe(18)
        return self._signer.sign(f"{account_id}:{nonce}"), nonce

    def read(self, value: str | None) -> tuple[int, str] | None:
        """(account id, nonce) of a genuine unexpired cookie, else None."""
        payload = self._signer.verify(value)
        if payload is None or ":" not in payload:
            return None
        raw_id, nonce = payload.split(":", 1)
        return (int(raw_id), nonce) if raw_id.isdigit() and nonce else None

    def csrf_token(self, nonce: str) -> str:
        """The CSRF token of the session with ``nonce``."""
        return hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).hexdigest()
