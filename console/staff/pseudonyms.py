"""Stable keyed pseudonyms for personal values that must still group or match, never be read.

An HMAC with a key derived from the console secret: the same customer name or sender id
always gives the same pseudonym (rows of one conversation still group in an export, failed
sign-ins for one typed address still add up in the audit log), but without the key nobody
can test a guessed name or e-mail against it, as they could against a plain hash.
"""

from __future__ import annotations

import hashlib
import hmac

PSEUDONYM_HEX_CHARS = 16


class Pseudonyms:
    """Maps (kind, value) to ``kind-<hex>``, the same for the same value under one secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"concierge pseudonyms", hashlib.sha256).digest()

    def of(self, kind: str, value: str) -> str:
        """The pseudonym of ``value`` (e.g. ``customer-3f9a...``)."""
        digest = hmac.new(self._key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:PSEUDONYM_HEX_CHARS]}"
