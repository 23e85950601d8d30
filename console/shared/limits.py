"""The sign-in throttle, the chat-start limit and the identity replay guard, kept in Redis.

Each subclasses its in-memory counterpart, so it stands wherever that one is typed, and
keeps its semantics (the same tests run against both). Every decision is one Lua script
or one ``SET NX``, so two instances checking the same key at the same moment cannot both
slip through. Times come from the instance's ``clock`` (wall time by default, as every
instance must agree on it; tests pass a fake one) and keys expire on their own, so Redis
holds no more than the live windows.

Their callers are synchronous (the sign-in handler's throttle calls, the chat-start guard,
the identity verifier), so they use the blocking client: a loopback Redis answers in a
fraction of a millisecond, and the client's 0.5 s time limits bound how long a hung one
can hold the event loop.

When Redis does not answer, each piece fails the way its risk says:

- **Staff sign-in fails closed.** The throttle is what stops password guessing; letting
  attempts through unthrottled whenever Redis is away would hand an attacker a way round
  it. Staff see "try again shortly" (503) until Redis is back.
- **The chat start fails open to this instance's own limit.** The limit protects against
  floods, not against a secret being guessed; refusing every customer's chat during an
  outage would take customer service down with Redis. Each instance counts on its own
  meanwhile (the limit is at most N times looser with N consoles, never gone).
- **The identity replay guard fails closed.** A single-use token that cannot be checked is
  refused; the chat still starts, as a guest, so the customer keeps talking to the bot.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

import redis

from console.chat.identity import ReplayGuard
from console.chat.start_guard import STARTS_PER_WINDOW, WINDOW_SECONDS, StartLimiter
from console.shared.redis_client import DEFAULT_NAMESPACE, hashed, redis_errors
from console.staff.sign_in_throttle import (
    BASE_WAIT_SECONDS,
    FORGET_AFTER_SECONDS,
    FREE_FAILURES,
    MAX_WAIT_SECONDS,
    SignInThrottle,
)

log = logging.getLogger(__name__)

SIGN_IN_UNAVAILABLE_TEXT = (
    "Signing in is briefly unavailable (the console cannot reach its shared state). "
    "Try again shortly."
)

# KEYS: one hash per throttle key (count, last_at). ARGV: now, free, base, max wait, forget.
# Refuses (0) when any key must still wait; otherwise counts a failure on every key (1).
_RESERVE = """
local now, free, base = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local max_wait, forget = tonumber(ARGV[4]), tonumber(ARGV[5])
for _, key in ipairs(KEYS) do
  local entry = redis.call('HMGET', key, 'count', 'last_at')
  local count, last = tonumber(entry[1]) or 0, tonumber(entry[2]) or 0
  if count >= free then
    local wait = math.min(base * 2 ^ (count - free), max_wait)
    if last + wait - now > 0 then return 0 end
  end
end
for _, key in ipairs(KEYS) do
  local entry = redis.call('HMGET', key, 'count', 'last_at')
  local count, last = tonumber(entry[1]) or 0, tonumber(entry[2]) or 0
  if now - last > forget then count = 0 end
  redis.call('HSET', key, 'count', count + 1, 'last_at', ARGV[1])
  redis.call('EXPIRE', key, math.ceil(forget))
end
return 1
"""

# Same hashes; gives back one count on each key that has one.
_RELEASE = """
for _, key in ipairs(KEYS) do
  local count = tonumber(redis.call('HGET', key, 'count')) or 0
  if count > 0 then redis.call('HSET', key, 'count', count - 1) end
end
return 1
"""

# KEYS[1]: a sorted set of start times. ARGV: now, window, max starts, a unique member.
_START = """
local now, window, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= most then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(window))
return 1
"""


class RedisSignInThrottle(SignInThrottle):
    """Failed sign-ins per e-mail and per client address, counted across every console."""

    def __init__(
        self,
        client: redis.Redis,
        free_failures: int = FREE_FAILURES,
        base_wait_seconds: float = BASE_WAIT_SECONDS,
        clock: Callable[[], float] = time.time,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        super().__init__(free_failures, base_wait_seconds, clock)
        self._redis = client
        self._prefix = f"{namespace}:sign-in:"
        self._reserve_script = client.register_script(_RESERVE)
        self._release_script = client.register_script(_RELEASE)

    def wait_seconds(self, *keys: str) -> float:
        """Seconds to wait before an attempt for any of ``keys`` is allowed (0 = now)."""
        now = self._clock()
        with redis_errors("reading sign-in failures", SIGN_IN_UNAVAILABLE_TEXT):
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.hmget(self._key(key), "count", "last_at")
            entries = pipe.execute()
        return max((self._wait(count, last, now) for count, last in entries), default=0.0)

    def reserve(self, *keys: str) -> bool:
        """Admit one attempt and count it as failed, atomically across instances."""
        with redis_errors("reserving a sign-in attempt", SIGN_IN_UNAVAILABLE_TEXT):
            admitted = self._reserve_script(
                keys=[self._key(k) for k in keys], args=self._script_args(self._clock())
            )
        return bool(admitted)

    def release(self, *keys: str) -> None:
        """Give back a reservation whose password was never checked."""
        with redis_errors("releasing a sign-in attempt", SIGN_IN_UNAVAILABLE_TEXT):
            self._release_script(keys=[self._key(k) for k in keys])

    def failed(self, *keys: str) -> None:
        """Count one failed attempt against each key (whether or not it must wait)."""
        # A reservation with no waiting limit counts unconditionally: free = infinity.
        args = self._script_args(self._clock())
        args[1] = 2**62
        with redis_errors("counting a failed sign-in", SIGN_IN_UNAVAILABLE_TEXT):
            self._reserve_script(keys=[self._key(k) for k in keys], args=args)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys`` after a successful sign-in."""
        if keys:
            with redis_errors("clearing sign-in failures", SIGN_IN_UNAVAILABLE_TEXT):
                self._redis.delete(*(self._key(k) for k in keys))

    def _key(self, key: str) -> str:
        return self._prefix + hashed(key)

    def _script_args(self, now: float) -> list[float]:
        return [now, self._free, self._base, MAX_WAIT_SECONDS, FORGET_AFTER_SECONDS]

    def _wait(self, raw_count: str | None, raw_last: str | None, now: float) -> float:
        count = int(raw_count or 0)
        if count < self._free:
            return 0.0
        wait = min(self._base * 2 ** (count - self._free), MAX_WAIT_SECONDS)
        return max(0.0, float(raw_last or 0) + wait - now)


class RedisStartLimiter(StartLimiter):
    """Chat starts per client address in a sliding window shared by every console.

    While Redis is away it counts in this process's memory (the parent class) instead.
    """

    def __init__(
        self,
        client: redis.Redis,
        max_starts: int = STARTS_PER_WINDOW,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        super().__init__(max_starts, window_seconds, clock)
        self._redis = client
        self._prefix = f"{namespace}:chat-starts:"
        self._start_script = client.register_script(_START)
        self._degraded = False

    def allow(self, client: str) -> bool:
        """Count one start by ``client``; False when it has used up its window."""
        now = self._clock()
        member = f"{now!r}:{secrets.token_hex(4)}"
        try:
            allowed = self._start_script(
                keys=[self._prefix + hashed(client)], args=[now, self._window, self._max, member]
            )
        except (redis.RedisError, OSError) as exc:
            if not self._degraded:
                log.warning(
                    "chat-start limit counts per instance: Redis unavailable (%s)",
                    type(exc).__name__,
                )
                self._degraded = True
            return super().allow(client)
        if self._degraded:
            log.warning("chat-start limit is shared again: Redis answers")
            self._degraded = False
        return bool(allowed)


class RedisReplayGuard(ReplayGuard):
    """Identity token ids already used, across every console (``SET NX`` with expiry)."""

    def __init__(
        self,
        client: redis.Redis,
        clock: Callable[[], float] = time.time,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        super().__init__(clock=clock)
        self._redis = client
        self._prefix = f"{namespace}:identity-token:"

    def first_use(self, token_id: str, forget_after: float) -> bool:
        """Record ``token_id``; False when it was used before, or when Redis cannot say."""
        milliseconds = int((forget_after - self._clock()) * 1000)
        if milliseconds <= 0:
            # Its token can no longer verify, so there is nothing to remember it for.
            return True
        try:
            stored = self._redis.set(self._prefix + token_id, "1", nx=True, px=milliseconds)
        except (redis.RedisError, OSError) as exc:
            log.warning(
                "identity token refused: the replay check cannot reach Redis (%s); "
                "the chat starts as a guest",
                type(exc).__name__,
            )
            return False
        return bool(stored)
