"""Server-issued chat cookies: the sender id, an expiry and an HMAC over both.

The browser keeps the cookie but cannot mint one, so it cannot claim another
customer's sender id. The secret comes from ``create_app``; when none is given the app
generates one at start-up, which makes every open chat expire when the console restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

CHAT_COOKIE = "concierge_chat"
CHAT_COOKIE_TTL_SECONDS = 24 * 3600


class CookieSigner:
    """Signs and verifies sender ids carried in a cookie."""

    def __init__(
        self,
        secret: bytes,
        ttl_seconds: int = CHAT_COOKIE_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the console's cookie secret must be at least 16 bytes long")
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def sign(self, sender_id: str) -> str:
        """A cookie value that proves the server issued ``sender_id``."""
        if "." in sender_id:
            raise ValueError(f"sender id {sender_id!r} must not contain '.'")
        expires = int(self._clock()) + self.ttl_seconds
        return f"{sender_id}.{expires}.{self._mac(sender_id, expires)}"

    def verify(self, value: str | None) -> str | None:
        """The sender id in ``value`` if it is genuine and not expired, else None."""
        if not value:
            return None
        parts = value.split(".")
        if len(parts) != 3:
            return None
        sender_id, raw_expires, mac = parts
        try:
            expires = int(raw_expires)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, self._mac(sender_id, expires)):
            return None
        if expires < self._clock():
            return None
        return sender_id

    def _mac(self, sender_id: str, expires: int) -> str:
        message = f"{sender_id}|{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
