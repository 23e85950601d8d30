"""Redis clients for the console's shared state, and the one error a Redis outage becomes.

Every call has short, fixed time limits and no automatic retries: the callers decide what
an outage means (refuse a staff sign-in, fall back to this instance's own chat-start
limit, tell the agent a message could not be sent), and they must learn it within a
fraction of a second rather than after a library's back-off. Keys carry a namespace, so
two stacks (or two tests) can share one Redis without seeing each other's state, and
anything derived from personal data (an e-mail address in a throttle key) is hashed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from console.shared.errors import SharedStateUnavailable

# A loopback Redis answers in well under a millisecond; these bound a hung or dead one.
CONNECT_TIMEOUT_SECONDS = 0.5
COMMAND_TIMEOUT_SECONDS = 0.5
# Blocking reads (an agent push waiting for an instance's acknowledgement) wait longer.
BLOCKING_TIMEOUT_SECONDS = 5.0
DEFAULT_NAMESPACE = "concierge"


def sync_client(url: str) -> redis.Redis:
    """A blocking client (connections open lazily) for the sign-in throttle and the like."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=COMMAND_TIMEOUT_SECONDS,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def async_client(url: str) -> redis.asyncio.Redis:
    """An asyncio client for the chat fan-out (pub/sub, presence, acknowledgements)."""
    return redis.asyncio.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=BLOCKING_TIMEOUT_SECONDS,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        retry=AsyncRetry(NoBackoff(), 0),
    )


def hashed(text: str) -> str:
    """A stable, short stand-in for ``text`` in a key (Redis keys are no place for e-mails)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@contextmanager
def redis_errors(
    doing: str, advice: str, error: type[SharedStateUnavailable] = SharedStateUnavailable
) -> Iterator[None]:
    """Turn a Redis failure while ``doing`` into ``error`` (a SharedStateUnavailable) with ``advice``.

    Works around awaited calls too (a plain ``with`` in a coroutine).
    """
    try:
        yield
    except (redis.RedisError, OSError) as exc:
        raise error(advice) from RedisFailure(doing, exc)


class RedisFailure(Exception):
    """The cause kept under a :class:`SharedStateUnavailable`, for the log."""

    def __init__(self, doing: str, exc: BaseException) -> None:
        super().__init__(f"Redis failed while {doing}: {type(exc).__name__}: {exc}")
