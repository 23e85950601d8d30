"""Staff sessions in Redis: a sign-in on one console is valid on all, a sign-out ends it on all.

Implements :class:`console.staff.session_store.StaffSessionStore`. Each session is one key
holding ``<account id> <expiry epoch seconds>`` that Redis drops at its expiry; a set per
account lists its session keys so disabling an account ends every one of them.

When Redis does not answer, a session this instance saw live in the last
:data:`OUTAGE_GRACE_SECONDS` is still honoured, so a Redis blip does not throw an agent out
of a live conversation (their messages to chats on this instance still go; those that
need another instance fail with a message). Any other session check raises
:class:`SharedStateUnavailable`: the page answers 503 "try again shortly" rather than
signing the visitor out (throwing their cookie away) or in (nobody can vouch for it).
The price is bounded: a sign-out made on another instance just before the outage may take
up to the grace period to reach this one; a sign-out during it fails visibly, and a
disabled account is refused at once (the account itself is read from the shop database
on every request).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import redis

from console.shared.errors import SharedStateUnavailable
from console.shared.redis_client import DEFAULT_NAMESPACE, redis_errors

# How long a session seen live here is honoured while Redis does not answer.
OUTAGE_GRACE_SECONDS = 60.0
_MAX_REMEMBERED = 10_000

STAFF_UNAVAILABLE_TEXT = (
    "The console cannot check staff sessions right now (its shared state is unavailable). "
    "Try again shortly."
)

# KEYS[1]: the session key, KEYS[2]: its account's set. Ends one session.
_END = """
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local account = string.match(value, '^(%d+) ')
redis.call('DEL', KEYS[1])
if account then redis.call('SREM', ARGV[1] .. account, KEYS[1]) end
return 1
"""

# KEYS[1]: the account's set. Ends every session in it; returns how many were live.
_END_ALL = """
local ended = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  ended = ended + redis.call('DEL', key)
end
redis.call('DEL', KEYS[1])
return ended
"""


class RedisStaffSessionStore:
    """Live staff sessions shared by every console instance."""

    def __init__(
        self,
        client: redis.Redis,
        namespace: str = DEFAULT_NAMESPACE,
        grace_seconds: float = OUTAGE_GRACE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = client
        self._grace = grace_seconds
        self._monotonic = monotonic
        # Session key -> (account, expiry, when it was last seen live): the outage grace.
        self._seen_live: dict[str, tuple[int, int, float]] = {}
        self._lock = threading.Lock()  # the staff pages call in from worker threads
        self._session_prefix = f"{namespace}:staff-session:"
        self._account_prefix = f"{namespace}:staff-sessions-of:"
        self._end_script = client.register_script(_END)
        self._end_all_script = client.register_script(_END_ALL)

    def start(self, key: str, account_id: int, expires_at: datetime) -> None:
        """Record a new session of ``account_id`` that lasts until ``expires_at`` (UTC)."""
        expires = _epoch(expires_at)
        session_key = self._session_prefix + key
        account_key = self._account_prefix + str(account_id)
        with redis_errors("starting a staff session", STAFF_UNAVAILABLE_TEXT):
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(session_key, f"{account_id} {expires}", exat=expires)
            pipe.sadd(account_key, session_key)
            # The account's set lives as long as its longest session: set once, then extend.
            pipe.expireat(account_key, expires, nx=True)
            pipe.expireat(account_key, expires, gt=True)
            pipe.execute()

    def account_of(self, key: str, now: datetime) -> int | None:
        """The account of the session ``key`` if it is live at ``now``, else None."""
        try:
            with redis_errors("reading a staff session", STAFF_UNAVAILABLE_TEXT):
                value = self._redis.get(self._session_prefix + key)
        except SharedStateUnavailable:
            return self._seen_during_grace(key, now)
        if not isinstance(value, str):
            return None
        raw_account, _, raw_expires = value.partition(" ")
        if not (raw_account.isdigit() and raw_expires.isdigit()):
            return None
        if int(raw_expires) <= _epoch(now):
            return None
        self._remember(key, int(raw_account), int(raw_expires))
        return int(raw_account)

    def end(self, key: str) -> None:
        """End one session (sign-out), on every instance at once."""
        with self._lock:
            self._seen_live.pop(key, None)
        with redis_errors("ending a staff session", STAFF_UNAVAILABLE_TEXT):
            self._end_script(keys=[self._session_prefix + key], args=[self._account_prefix])

    def end_all(self, account_id: int) -> int:
        """End every session of ``account_id``; returns how many there were."""
        with self._lock:
            for key in [k for k, seen in self._seen_live.items() if seen[0] == account_id]:
                del self._seen_live[key]
        with redis_errors("ending an account's staff sessions", STAFF_UNAVAILABLE_TEXT):
            ended = self._end_all_script(keys=[self._account_prefix + str(account_id)])
        return int(ended)

    def _remember(self, key: str, account_id: int, expires: int) -> None:
        with self._lock:
            if len(self._seen_live) >= _MAX_REMEMBERED:
                self._seen_live.clear()
            self._seen_live[key] = (account_id, expires, self._monotonic())

    def _seen_during_grace(self, key: str, now: datetime) -> int | None:
        with self._lock:
            seen = self._seen_live.get(key)
        if seen is None or self._monotonic() - seen[2] > self._grace or seen[1] <= _epoch(now):
            raise SharedStateUnavailable(STAFF_UNAVAILABLE_TEXT)
        return seen[0]


def _epoch(moment: datetime) -> int:
    # The staff code passes naive UTC datetimes (store.db.utcnow); aware ones are honoured.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp())
