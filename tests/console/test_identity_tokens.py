"""The shop-signed identity tokens: what verifies, and why everything else is refused."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from console.chat.identity import (
    CLOCK_SKEW_SECONDS,
    MAX_LIFETIME_SECONDS,
    IdentityRefused,
    IdentityVerifier,
    Refusal,
    ReplayGuard,
    sign_hmac_identity,
    sign_jwt_identity,
)

SECRET = "shop-identity-secret-0123456789abcdef"
NOW = 1_800_000_000.0


def verifier(now: float = NOW) -> IdentityVerifier:
    return IdentityVerifier(SECRET, clock=lambda: now)


def refusal(token: str | None, *, now: float = NOW) -> Refusal:
    with pytest.raises(IdentityRefused) as refused:
        verifier(now).verify(token)
    return refused.value.reason


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("sign", [sign_hmac_identity, sign_jwt_identity])
def test_a_fresh_token_names_the_shop_customer_it_was_signed_for(sign: object) -> None:
    token = sign(SECRET, "cust-17850", now=NOW)  # type: ignore[operator]

    assert verifier().verify(token).external_id == "cust-17850"


@pytest.mark.parametrize("sign", [sign_hmac_identity, sign_jwt_identity])
def test_a_token_signed_with_another_secret_is_refused(sign: object) -> None:
    token = sign("not-the-shop-secret-0123456789abcdef", "cust-1", now=NOW)  # type: ignore[operator]

    assert refusal(token) == Refusal.BAD_SIGNATURE


def test_an_hmac_token_edited_to_another_customer_is_refused() -> None:
    _, expires, token_id, signature = sign_hmac_identity(SECRET, "cust-1", now=NOW).split(".")

    assert refusal(f"cust-2.{expires}.{token_id}.{signature}") == Refusal.BAD_SIGNATURE
    assert refusal(f"cust-1.{int(expires) + 500}.{token_id}.{signature}") == Refusal.BAD_SIGNATURE


def test_a_jwt_edited_to_another_customer_is_refused() -> None:
    header, _, signature = sign_jwt_identity(SECRET, "cust-1", now=NOW).split(".")
    payload = b64({"sub": "cust-2", "exp": int(NOW) + 300, "jti": "abcdefghijkl"})

    assert refusal(f"{header}.{payload}.{signature}") == Refusal.BAD_SIGNATURE


@pytest.mark.parametrize("sign", [sign_hmac_identity, sign_jwt_identity])
def test_expired_tokens_are_refused_beyond_the_clock_skew(sign: object) -> None:
    token = sign(SECRET, "cust-1", lifetime_seconds=60, now=NOW - 200)  # type: ignore[operator]
    late = sign(SECRET, "cust-1", lifetime_seconds=60, now=NOW - 60 - CLOCK_SKEW_SECONDS + 5)  # type: ignore[operator]

    assert refusal(token) == Refusal.EXPIRED
    assert verifier().verify(late).external_id == "cust-1"


def test_a_jwt_issued_in_the_future_beyond_the_skew_is_refused() -> None:
    early = sign_jwt_identity(SECRET, "cust-1", now=NOW + CLOCK_SKEW_SECONDS + 30)
    slightly = sign_jwt_identity(SECRET, "cust-1", now=NOW + CLOCK_SKEW_SECONDS - 5)

    assert refusal(early) == Refusal.NOT_YET_VALID
    assert verifier().verify(slightly).external_id == "cust-1"


@pytest.mark.parametrize("sign", [sign_hmac_identity, sign_jwt_identity])
def test_long_lived_tokens_are_refused(sign: object) -> None:
    token = sign(SECRET, "cust-1", lifetime_seconds=MAX_LIFETIME_SECONDS + 3600, now=NOW)  # type: ignore[operator]

    assert refusal(token) == Refusal.TOO_LONG_LIVED


@pytest.mark.parametrize("sign", [sign_hmac_identity, sign_jwt_identity])
def test_a_token_verifies_once_then_is_a_replay(sign: object) -> None:
    check = verifier()
    token = sign(SECRET, "cust-1", now=NOW)  # type: ignore[operator]

    check.verify(token)
    with pytest.raises(IdentityRefused) as replayed:
        check.verify(token)
    assert replayed.value.reason == Refusal.REPLAYED


def test_jwt_with_alg_none_or_another_algorithm_is_refused() -> None:
    claims = {"sub": "cust-1", "exp": int(NOW) + 300, "jti": "abcdefghijkl"}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    hs512 = jwt.encode(claims, SECRET, algorithm="HS512")

    assert refusal(unsigned) == Refusal.WRONG_ALGORITHM
    assert refusal(hs512) == Refusal.WRONG_ALGORITHM


def test_jwt_without_expiry_or_token_id_is_refused() -> None:
    no_exp = jwt.encode({"sub": "cust-1", "jti": "abcdefghijkl"}, SECRET, algorithm="HS256")
    no_jti = jwt.encode({"sub": "cust-1", "exp": int(NOW) + 300}, SECRET, algorithm="HS256")

    assert refusal(no_exp) == Refusal.MALFORMED
    assert refusal(no_jti) == Refusal.MALFORMED


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b",
        "a.b.c.d.e",
        "cust.notanumber.abcdefghij." + "0" * 64,
        "x" * 5000,
        "é.1.2.3",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    assert refusal(token) in (Refusal.MALFORMED, Refusal.BAD_SIGNATURE)


def test_no_token_is_missing_and_no_secret_proves_nothing() -> None:
    token = sign_hmac_identity("", "cust-1", now=NOW)

    assert refusal(None) == Refusal.MISSING and refusal("  ") == Refusal.MISSING
    with pytest.raises(IdentityRefused) as refused:
        IdentityVerifier("", clock=lambda: NOW).verify(token)
    assert refused.value.reason == Refusal.NO_SECRET


def test_replay_guard_forgets_a_token_id_after_its_window_and_refuses_when_full() -> None:
    now = [NOW]
    guard = ReplayGuard(capacity=2, clock=lambda: now[0])

    assert guard.first_use("a" * 10, NOW + 10) and not guard.first_use("a" * 10, NOW + 10)
    assert guard.first_use("b" * 10, NOW + 10)
    assert not guard.first_use("c" * 10, NOW + 10)  # full of live ids: refuse, never forget
    now[0] = NOW + 11
    assert guard.first_use("a" * 10, NOW + 30) and guard.first_use("c" * 10, NOW + 30)


def test_verification_uses_the_real_clock_by_default() -> None:
    assert IdentityVerifier(SECRET).verify(sign_hmac_identity(SECRET, "c-1")).external_id == "c-1"
    assert time.time() > NOW - 10**9
