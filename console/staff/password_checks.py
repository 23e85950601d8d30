"""Password checks (argon2) on their own small thread pool with a bounded queue.

argon2 is deliberately slow and memory-hungry. Run on the event loop's shared default
pool, a burst of sign-ins would take every thread the chat relay and the pages need;
here at most ``workers`` checks run and ``queued`` wait, and any attempt beyond that is
refused at once (the sign-in page answers 429) instead of piling up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")

PASSWORD_CHECK_WORKERS = 2
PASSWORD_CHECKS_QUEUED = 8


class PasswordChecksBusy(RuntimeError):
    """Every password-check slot is taken; the attempt should be retried in a moment."""


class PasswordCheckPool:
    """Runs password checks on ``workers`` threads, with at most ``queued`` more waiting."""

    def __init__(
        self, workers: int = PASSWORD_CHECK_WORKERS, queued: int = PASSWORD_CHECKS_QUEUED
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._capacity = workers + queued
        # Only touched from the event loop's thread, so a plain counter is exact.
        self._admitted = 0

    async def run(self, check: Callable[..., _T], *args: object) -> _T:
        """``check(*args)`` on the pool; raises PasswordChecksBusy when it is full."""
        if self._admitted >= self._capacity:
            raise PasswordChecksBusy("too many password checks at once")
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, check, *args)
        finally:
            self._admitted -= 1

    def close(self) -> None:
        """Stop the threads once the running checks are done."""
        self._executor.shutdown(wait=False, cancel_futures=True)
