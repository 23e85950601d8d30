"""Signed links in outreach messages: one-click unsubscribe (RFC 8058), opens and clicks.

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
from enum import StrEnum
from urllib.parse import urlencode

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


# Opens and clicks (``console/outreach_tracking.py``): a key of its own, so a tracking token
# can never pass for an unsubscribe token, nor the other way round.
_TRACKING_PURPOSE = b"concierge/outreach-tracking/v1"
_TRACKING_TOKEN = re.compile(r"^(\d{1,12})\.(open|click)\.([0-9a-f]{64})$")
# A path on the shop's own site: one leading "/", never "//" (another host) or a backslash.
_SHOP_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9._~!$&'()*+,;=:@%/?#-]{0,300}$")
OPEN_PATH = "/outreach/open/"
CLICK_PATH = "/outreach/click/"


class TrackingKind(StrEnum):
    """What a tracking link records."""

    OPEN = "open"
    CLICK = "click"


@dataclass(frozen=True)
class TrackedEvent:
    """A genuine tracking token: which message, what happened, and (a click) where to go."""

    message_id: int
    kind: TrackingKind
    path: str = ""


def is_shop_path(path: str) -> bool:
    """True for a path on the shop's own site (``/``, ``/offers?x=1``), never another host."""
    return bool(_SHOP_PATH.match(path)) and "\\" not in path


class TrackingSigner:
    """Makes and checks open-pixel and click tokens: ``<message id>.<kind>.<hmac>``.

    A click's token also signs the path on the shop it leads to, so the redirect can only
    go where the e-mail said; the console adds the shop's own address in front.
    """

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ValueError(
                "tracking links need CONSOLE_SECRET (at least 16 characters) to sign them"
            )
        self._key = hmac.new(raw, _TRACKING_PURPOSE, hashlib.sha256).digest()

    def open_url(self, base_url: str, message_id: int) -> str:
        """The open pixel's address for outbox row ``message_id``."""
        mac = self._mac(message_id, TrackingKind.OPEN, "")
        return f"{base_url.rstrip('/')}{OPEN_PATH}{message_id}.open.{mac}"

    def click_url(self, base_url: str, message_id: int, path: str = "/") -> str:
        """The signed redirect to ``path`` on the shop, for outbox row ``message_id``."""
        if not is_shop_path(path):
            raise ValueError(
                f"a tracked link must be a path on the shop like /offers, got {path!r}"
            )
        mac = self._mac(message_id, TrackingKind.CLICK, path)
        query = urlencode({"to": path})
        return f"{base_url.rstrip('/')}{CLICK_PATH}{message_id}.click.{mac}?{query}"

    def verify(self, token: str, path: str = "") -> TrackedEvent | None:
        """The event in ``token`` (a click's with its ``path``) when genuine, else None."""
        match = _TRACKING_TOKEN.match(token or "")
        if not match:
            return None
        message_id, kind = int(match.group(1)), TrackingKind(match.group(2))
        if kind == TrackingKind.OPEN:
            path = ""
        elif not is_shop_path(path):
            return None
        if not hmac.compare_digest(match.group(3), self._mac(message_id, kind, path)):
            return None
        return TrackedEvent(message_id, kind, path)

    def _mac(self, message_id: int, kind: TrackingKind, path: str) -> str:
        message = f"{message_id}|{kind}|{path}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
