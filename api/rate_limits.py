"""Per-key rate limits: a token bucket per API key id, in memory or shared through Redis.

Each key's bucket holds at most ``burst`` calls and refills at ``per_minute`` a minute, so
a caller may send a short burst and then its steady rate. :meth:`TokenBuckets.take` spends
one token and answers 0, or the seconds until a token is back (the ``Retry-After``).

With ``CONCIERGE_REDIS_URL`` set, every API process spends from the same bucket (one Lua
script per call, so two processes cannot both take the last token). When Redis does not
answer, the limit fails open to this process's own bucket, like the console's chat-start
limit: it protects against floods, not a secret being guessed, and refusing every call
while Redis is away would take the shop's other systems down with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)

# A loopback Redis answers in well under a millisecond; these bound a hung or dead one.
REDIS_TIMEOUT_SECONDS = 0.5
NAMESPACE = "concierge:api-rate:"

# KEYS[1]: the key's bucket (a hash: tokens, at). ARGV: now, capacity, refill per second.
# Returns the seconds to wait, as a string (0 = a token was taken).
_TAKE = """
local now, capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(bucket[1]), tonumber(bucket[2])
if tokens == nil then tokens, at = capacity, now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return tostring(wait)
"""


class TokenBuckets:
    """Token buckets per key id in this process's memory (the default: one API process)."""

    def __init__(
        self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute < 1 or burst < 1:
            raise ValueError("a rate limit needs at least 1 call a minute and a burst of 1")
        self.capacity = float(burst)
        self.rate = per_minute / 60.0  # tokens a second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, at)

    async def take(self, key_id: str) -> float:
        """Spend one of ``key_id``'s tokens: 0, or the seconds until one is back."""
        return self._take_here(key_id)

    def _take_here(self, key_id: str) -> float:
        now = self._clock()
        tokens, at = self._buckets.get(key_id, (self.capacity, now))
        tokens = min(self.capacity, tokens + max(0.0, now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key_id] = (tokens - 1, now)
            return 0.0
        self._buckets[key_id] = (tokens, now)
        return (1 - tokens) / self.rate

    async def close(self) -> None:
        """Release what the buckets hold open (nothing in memory)."""


class RedisTokenBuckets(TokenBuckets):
    """The same buckets in Redis, shared by every API process; this process's own meanwhile."""

    def __init__(
        self,
        url: str,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.time,  # wall time: every process must agree on it
    ) -> None:
        super().__init__(per_minute, burst, clock)
        self._redis = redis.asyncio.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        self._script = self._redis.register_script(_TAKE)
        self._degraded = False

    async def take(self, key_id: str) -> float:
        """Spend one of ``key_id``'s tokens in Redis (here while Redis does not answer)."""
        try:
            wait = await self._script(
                keys=[NAMESPACE + key_id], args=[self._clock(), self.capacity, self.rate]
            )
        except (redis.RedisError, OSError) as exc:
            if not self._degraded:
                log.warning(
                    "api: rate limits count per process: Redis unavailable (%s)",
                    type(exc).__name__,
                )
                self._degraded = True
            return self._take_here(key_id)
        if self._degraded:
            log.warning("api: rate limits are shared again: Redis answers")
            self._degraded = False
        return float(wait)

    async def close(self) -> None:
        """Close the Redis connections."""
        await self._redis.aclose()


def token_buckets(redis_url: str, per_minute: int, burst: int) -> TokenBuckets:
    """Redis-backed buckets when ``redis_url`` is set, this process's own otherwise."""
    if redis_url:
        return RedisTokenBuckets(redis_url, per_minute, burst)
    return TokenBuckets(per_minute, burst)
