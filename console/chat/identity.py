"""Identities a shop's server vouches for: the signed token checked before a chat is linked.

The shop's server signs its logged-in customer's id with the secret it shares with
Concierge (``CONCIERGE_IDENTITY_SECRET``) and puts the token in its page; the widget hands
it to the console, which links the chat to that customer only when the token verifies.
Two formats, so a shop can use whichever its stack already has (the README shows both):

- **HMAC**: ``<customer id>.<expires>.<token id>.<signature>`` where ``expires`` is Unix
  seconds and ``signature`` is the hex HMAC-SHA256 of ``<customer id>.<expires>.<token id>``.
- **JWT**: HS256 with the claims ``sub`` (customer id), ``exp`` and ``jti`` (token id);
  ``iat``/``nbf`` are checked when present. Any other algorithm, ``none`` included, is refused.

Both are short-lived (expiry at most :data:`MAX_LIFETIME_SECONDS` ahead), tolerate
:data:`CLOCK_SKEW_SECONDS` of clock difference, and are single-use: a token id seen before
its expiry is a replay (:class:`ReplayGuard`). A refusal says why in :class:`Refusal`, for
the log; the visitor simply chats as a guest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import jwt

# How far ahead a token may expire: a page's token is for opening its chat, not a login.
MAX_LIFETIME_SECONDS = 600
# Clock difference tolerated between the shop's server and ours, both directions.
CLOCK_SKEW_SECONDS = 60
# Token ids remembered at most; beyond that new tokens are refused rather than replays let in.
REPLAY_CAPACITY = 200_000

# The shop's customer id: what ``customers.external_ref`` holds (no '.', the HMAC separator).
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_\-:@]{1,64}")
_TOKEN_ID = re.compile(r"[A-Za-z0-9_\-]{8,64}")
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_TOKEN_CHARS = 2048


class Refusal(StrEnum):
    """Why a token did not link the chat (logged; never shown to the visitor)."""

    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    WRONG_ALGORITHM = "wrong_algorithm"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    TOO_LONG_LIVED = "too_long_lived"
    REPLAYED = "replayed"
    NO_SECRET = "no_secret"


class IdentityRefused(Exception):
    """The token proves nothing; ``reason`` says why."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class VouchedIdentity:
    """A customer the shop's server signed for: its own id for them, and the token's id."""

    external_id: str
    token_id: str


class ReplayGuard:
    """Token ids already used, each remembered until its token could no longer verify.

    In one process's memory; several consoles share it in Redis (``SET NX PX``) with
    ``console.shared.limits.RedisReplayGuard``, the same ``first_use``.
    """

    def __init__(
        self, capacity: int = REPLAY_CAPACITY, clock: Callable[[], float] = time.time
    ) -> None:
        self._seen: dict[str, float] = {}
        self._capacity = capacity
        self._clock = clock

    def first_use(self, token_id: str, forget_after: float) -> bool:
        """Record ``token_id``; False when it was used before (a replay) or no room is left."""
        now = self._clock()
        if token_id in self._seen and self._seen[token_id] >= now:
            return False
        if len(self._seen) >= self._capacity:
            self._seen = {t: until for t, until in self._seen.items() if until >= now}
            if len(self._seen) >= self._capacity:
                return False
        self._seen[token_id] = forget_after
        return True


class IdentityVerifier:
    """Verifies the shop-signed identity tokens of one shared secret."""

    def __init__(
        self,
        secret: str,
        replay_guard: ReplayGuard | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret.encode()
        self._clock = clock
        self._replays = replay_guard or ReplayGuard(clock=clock)

    def verify(self, token: str | None) -> VouchedIdentity:
        """The identity ``token`` proves, or :class:`IdentityRefused` with the reason."""
        if not token or not token.strip():
            raise IdentityRefused(Refusal.MISSING)
        if not self._secret:
            raise IdentityRefused(Refusal.NO_SECRET)
        token = token.strip()
        if len(token) > _MAX_TOKEN_CHARS or not token.isascii():
            raise IdentityRefused(Refusal.MALFORMED)
        parts = token.split(".")
        if len(parts) == 4:
            identity, expires = self._verify_hmac(parts)
        elif len(parts) == 3:
            identity, expires = self._verify_jwt(token)
        else:
            raise IdentityRefused(Refusal.MALFORMED)
        now = self._clock()
        if expires > now + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
            raise IdentityRefused(Refusal.TOO_LONG_LIVED)
        if not self._replays.first_use(identity.token_id, expires + CLOCK_SKEW_SECONDS):
            raise IdentityRefused(Refusal.REPLAYED)
        return identity

    def _verify_hmac(self, parts: list[str]) -> tuple[VouchedIdentity, float]:
        external_id, raw_expires, token_id, signature = parts
        if not (
            _EXTERNAL_ID.fullmatch(external_id)
            and raw_expires.isdigit()
            and len(raw_expires) <= 12
            and _TOKEN_ID.fullmatch(token_id)
            and _HEX_SHA256.fullmatch(signature.lower())
        ):
            raise IdentityRefused(Refusal.MALFORMED)
        expected = _hmac_signature(self._secret, external_id, int(raw_expires), token_id)
        # Constant time: the comparison must not tell an attacker how much of it was right.
        if not hmac.compare_digest(signature.lower(), expected):
            raise IdentityRefused(Refusal.BAD_SIGNATURE)
        expires = int(raw_expires)
        if expires + CLOCK_SKEW_SECONDS < self._clock():
            raise IdentityRefused(Refusal.EXPIRED)
        return VouchedIdentity(external_id, token_id), expires

    def _verify_jwt(self, token: str) -> tuple[VouchedIdentity, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise IdentityRefused(Refusal.MALFORMED) from None
        if header.get("alg") != "HS256":
            raise IdentityRefused(Refusal.WRONG_ALGORITHM)
        try:
            # Times are checked below against this verifier's clock (PyJWT reads its own).
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                options={
                    "require": ["exp", "sub", "jti"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidSignatureError:
            raise IdentityRefused(Refusal.BAD_SIGNATURE) from None
        except jwt.InvalidAlgorithmError:
            raise IdentityRefused(Refusal.WRONG_ALGORITHM) from None
        except jwt.InvalidTokenError:
            raise IdentityRefused(Refusal.MALFORMED) from None
        self._check_jwt_times(claims)
        external_id, token_id, expires = claims["sub"], claims["jti"], claims["exp"]
        if not (
            isinstance(external_id, str)
            and _EXTERNAL_ID.fullmatch(external_id)
            and isinstance(token_id, str)
            and _TOKEN_ID.fullmatch(token_id)
            and isinstance(expires, int | float)
        ):
            raise IdentityRefused(Refusal.MALFORMED)
        return VouchedIdentity(external_id, token_id), float(expires)

    def _check_jwt_times(self, claims: dict[str, object]) -> None:
        now = self._clock()
        times = {name: claims.get(name) for name in ("exp", "iat", "nbf")}
        if any(v is not None and not isinstance(v, int | float) for v in times.values()):
            raise IdentityRefused(Refusal.MALFORMED)
        expires, issued, not_before = times["exp"], times["iat"], times["nbf"]
        if isinstance(expires, int | float) and expires + CLOCK_SKEW_SECONDS < now:
            raise IdentityRefused(Refusal.EXPIRED)
        for start in (issued, not_before):
            if isinstance(start, int | float) and start > now + CLOCK_SKEW_SECONDS:
                raise IdentityRefused(Refusal.NOT_YET_VALID)


def _hmac_signature(secret: bytes, external_id: str, expires: int, token_id: str) -> str:
    message = f"{external_id}.{expires}.{token_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_hmac_identity(
    secret: str, external_id: str, *, lifetime_seconds: int = 300, now: float | None = None
) -> str:
    """An HMAC identity token for ``external_id``, as a shop's server makes one."""
    expires = int(time.time() if now is None else now) + lifetime_seconds
    token_id = secrets.token_urlsafe(16)
    signature = _hmac_signature(secret.encode(), external_id, expires, token_id)
    return f"{external_id}.{expires}.{token_id}.{signature}"


def sign_jwt_identity(
    secret: str, external_id: str, *, lifetime_seconds: int = 300, now: float | None = None
) -> str:
    """An HS256 JWT identity token for ``external_id``, as a shop's server makes one."""
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": external_id,
        "iat": issued,
        "exp": issued + lifetime_seconds,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, secret, algorithm="HS256")
