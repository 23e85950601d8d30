"""Signed one-click unsubscribe links for outreach messages (RFC 8058).

The token names the customer and the campaign and carries an HMAC-SHA256 over both, keyed
by a key derived from the console's secret (``CONSOLE_SECRET``) for this one purpose, so a
token can never be confused with a cookie or CSRF token signed by the same secret. The
outreach run signs; the console (``console/unsubscribe.py``) verifies.

Tokens do not expire: a customer may click "unsubscribe" in a months-old e-mail and must
still be heard (the link only ever turns e-mail off, so an old link gives nobody more).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

_PURPOSE = b"concierge/outreach-unsubscribe/v1"
_TOKEN = re.compile(r"^(\d{1,12})\.([a-z0-9][a-z0-9_-]{0,63})\.([0-9a-f]{64})$")
UNSUBSCRIBE_PATH = "/unsubscribe/"


@dataclass(frozen=True)
class UnsubscribeRequest:
    """Who asked to stop e-mail, and from which campaign's message."""

    customer_id: int
    campaign_key: str


class UnsubscribeSigner:
    """Makes and checks unsubscribe tokens: ``<customer>.<campaign>.<hmac>``."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ValueError(
                "unsubscribe links need CONSOLE_SECRET (at least 16 characters) to sign them"
            )
        self._key = hmac.new(raw, _PURPOSE, hashlib.sha256).digest()

    def token(self, customer_id: int, campaign_key: str) -> str:
        """The token for ``customer_id`` leaving e-mail from ``campaign_key``."""
        return f"{customer_id}.{campaign_key}.{self._mac(customer_id, campaign_key)}"

    def url(self, base_url: str, customer_id: int, campaign_key: str) -> str:
        """The full one-click link under the console's public address ``base_url``."""
        return base_url.rstrip("/") + UNSUBSCRIBE_PATH + self.token(customer_id, campaign_key)

    def verify(self, token: str) -> UnsubscribeRequest | None:
        """The request in ``token`` when its signature is genuine, else None."""
        match = _TOKEN.match(token or "")
        if not match:
            return None
        customer_id, campaign_key = int(match.group(1)), match.group(2)
        if not hmac.compare_digest(match.group(3), self._mac(customer_id, campaign_key)):
            return None
        return UnsubscribeRequest(customer_id, campaign_key)

    def _mac(self, customer_id: int, campaign_key: str) -> str:
        message = f"{customer_id}|{campaign_key}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
