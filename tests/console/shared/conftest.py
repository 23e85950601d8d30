"""Fixtures of the shared-state tests: a real redis-server, and two consoles sharing it.

One redis-server per test module (flushed before each test) for the tests that only use
it; a test that stops Redis gets its own server. Both consoles run on the test's SQLite
shop and the Rasa stand-in of ``tests/console/conftest.py``, each under its own aiohttp
test server, so a socket on one and an agent on the other really are two processes'
worth of state apart: they share nothing but Redis and the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import redis
from aiohttp.test_utils import TestClient

from concierge.engines import RedisServer, missing_engines
from concierge.settings import Settings
from console.app import create_app
from tests.console.conftest import COOKIE_SECRET, FakeRasa, make_settings

pytestmark = pytest.mark.engines


def needs_redis() -> None:
    """Skip, naming the binary, when this machine has no redis-server."""
    if "redis-server" in missing_engines():
        pytest.skip("redis-server is not installed (Debian package redis-server)")


@pytest.fixture(scope="module")
def module_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    needs_redis()
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(module_redis: RedisServer) -> str:
    """The module's Redis, emptied for this test."""
    client = redis.Redis.from_url(module_redis.url)
    client.flushdb()
    client.close()
    return module_redis.url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, which the test may stop and restart."""
    needs_redis()
    with RedisServer(tmp_path / "redis") as server:
        yield server


@dataclass
class Cluster:
    """Two console instances (A and B) sharing one Redis and one shop database."""

    a: TestClient
    b: TestClient
    settings: Settings


def shared_settings(tmp_path: Path, rasa: FakeRasa, redis_url: str, **changes: Any) -> Settings:
    return replace(make_settings(tmp_path, rasa.port), redis_url=redis_url, **changes)


async def two_consoles(aiohttp_client: Any, settings: Settings) -> Cluster:
    apps = [
        create_app(
            replace(settings, instance_name=name),
            cookie_secret=COOKIE_SECRET,
            rasa_timeout_seconds=2.0,
        )
        for name in ("a", "b")
    ]
    a, b = [await aiohttp_client(app) for app in apps]
    return Cluster(a, b, settings)


@pytest_asyncio.fixture
async def cluster(
    aiohttp_client: Any, tmp_path: Path, sessions: Any, fake_rasa: FakeRasa, redis_url: str
) -> AsyncIterator[Cluster]:
    yield await two_consoles(aiohttp_client, shared_settings(tmp_path, fake_rasa, redis_url))
