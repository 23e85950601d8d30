"""Slows down repeated failed sign-ins, per e-mail address and per client address.

After ``free_failures`` failures the next attempt must wait, and every further failure
doubles the wait (capped). Attempts made during a wait are refused without checking
the password, so guessing costs time rather than CPU. An attempt is counted when it is
admitted (:meth:`SignInThrottle.reserve`), not after its check, so a burst of parallel
guesses gets no more checks than sequential ones. Kept in memory: one console
process per shop database is the embedded default. Several processes share the counts
in Redis (``console.shared.limits.RedisSignInThrottle``, same methods, atomic across
instances, refusing sign-ins while Redis is away).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 3
BASE_WAIT_SECONDS = 2.0
MAX_WAIT_SECONDS = 300.0
# Failures older than this are forgotten.
FORGET_AFTER_SECONDS = 3600.0


@dataclass
class _Failures:
    count: int
    last_at: float


class SignInThrottle:
    """Counts failed sign-ins and says how long the next attempt must wait."""

    def __init__(
        self,
        free_failures: int = FREE_FAILURES,
        base_wait_seconds: float = BASE_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free = free_failures
        self._base = base_wait_seconds
        self._clock = clock
        self._failures: dict[str, _Failures] = {}

    def wait_seconds(self, *keys: str) -> float:
        """Seconds to wait before an attempt for any of ``keys`` is allowed (0 = now)."""
        now = self._clock()
        return max((self._wait_for(key, now) for key in keys), default=0.0)

    def reserve(self, *keys: str) -> bool:
        """Admit one attempt for ``keys`` and count it as failed before its password is checked.

        Counting first is what holds under a burst: parallel attempts all arrive before
        the first check ends, so a count made after checking would let each one guess.
        A successful attempt gives its reservation back with :meth:`succeeded`.
        """
        if self.wait_seconds(*keys) > 0:
            return False
        self.failed(*keys)
        return True

    def release(self, *keys: str) -> None:
        """Give back a reservation whose password was never checked."""
        for key in keys:
            entry = self._failures.get(key)
            if entry is not None and entry.count > 0:
                entry.count -= 1

    def failed(self, *keys: str) -> None:
        """Count one failed attempt against each key."""
        now = self._clock()
        for key in keys:
            entry = self._failures.get(key)
            if entry is None or now - entry.last_at > FORGET_AFTER_SECONDS:
                entry = _Failures(0, now)
            entry.count += 1
            entry.last_at = now
            self._failures[key] = entry
        if len(self._failures) > 10_000:
            self._forget_old(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys`` after a successful sign-in."""
        for key in keys:
            self._failures.pop(key, None)

    def _wait_for(self, key: str, now: float) -> float:
        entry = self._failures.get(key)
        if entry is None or entry.count < self._free:
            return 0.0
        wait = min(self._base * 2 ** (entry.count - self._free), MAX_WAIT_SECONDS)
        return max(0.0, entry.last_at + wait - now)

    def _forget_old(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if now - v.last_at > FORGET_AFTER_SECONDS]:
            del self._failures[key]
