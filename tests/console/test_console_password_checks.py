"""Password checks (argon2) run on their own small pool, never on the shared default one."""

from __future__ import annotations

import asyncio
import threading

import pytest

from console.staff.password_checks import PasswordCheckPool, PasswordChecksBusy


async def test_checks_beyond_the_queue_are_refused_at_once() -> None:
    pool = PasswordCheckPool(workers=1, queued=1)
    release = threading.Event()
    try:
        running = asyncio.ensure_future(pool.run(release.wait, 10))
        waiting = asyncio.ensure_future(pool.run(lambda: "second"))
        await asyncio.sleep(0.05)

        with pytest.raises(PasswordChecksBusy):
            await pool.run(lambda: "third")

        release.set()
        assert await running is True
        assert await waiting == "second"
        assert await pool.run(lambda: "after the burst") == "after the burst"
    finally:
        release.set()
        pool.close()


async def test_a_burst_of_checks_leaves_the_default_pool_free() -> None:
    pool = PasswordCheckPool(workers=2, queued=2)
    release = threading.Event()
    try:
        burst = [asyncio.ensure_future(pool.run(release.wait, 10)) for _ in range(4)]
        await asyncio.sleep(0.05)

        # The chat relay's thread work still runs while every check is busy.
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "relay"), 2) == "relay"

        release.set()
        assert await asyncio.gather(*burst) == [True] * 4
    finally:
        release.set()
        pool.close()
