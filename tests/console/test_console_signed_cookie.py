"""The signed chat cookie: only the server can issue a sender id, and only for a while."""

from __future__ import annotations

import pytest

from console.signed_cookie import CookieSigner

SECRET = b"0123456789abcdef0123456789abcdef"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_signed_sender_id_verifies_back() -> None:
    signer = CookieSigner(SECRET)

    assert signer.verify(signer.sign("web-abc_DEF-123")) == "web-abc_DEF-123"


def test_cookie_signed_with_another_secret_is_rejected() -> None:
    value = CookieSigner(b"another-secret-another-secret!!").sign("web-abc")

    assert CookieSigner(SECRET).verify(value) is None


def test_cookie_is_rejected_once_expired() -> None:
    clock = Clock(1_000_000.0)
    signer = CookieSigner(SECRET, ttl_seconds=60, clock=clock)
    value = signer.sign("web-abc")

    clock.now += 59
    assert signer.verify(value) == "web-abc"
    clock.now += 2
    assert signer.verify(value) is None


def test_extending_the_expiry_by_hand_breaks_the_signature() -> None:
    signer = CookieSigner(SECRET)
    sender, expires, mac = signer.sign("web-abc").split(".")

    assert signer.verify(f"{sender}.{int(expires) + 3600}.{mac}") is None


@pytest.mark.parametrize("value", [None, "", "web-abc", "a.b", "web-abc.notanumber.ff", "a.b.c.d"])
def test_malformed_cookie_values_are_rejected(value: str | None) -> None:
    assert CookieSigner(SECRET).verify(value) is None


def test_short_secret_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        CookieSigner(b"short")
