"""The Redis staff session store keeps the SQL store's contract (StaffSessionStore)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from console.shared.redis_client import sync_client
from console.shared.staff_sessions import RedisStaffSessionStore
from console.staff.session_store import SqlStaffSessionStore, StaffSessionStore
from store.db import utcnow
from tests.console.staff_helpers import add_account

pytestmark = pytest.mark.engines


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    made = sync_client(redis_url)
    yield made
    made.close()


@pytest.fixture(params=["sql", "redis"])
def store(
    request: pytest.FixtureRequest, client: redis.Redis, sessions: sessionmaker[Session]
) -> StaffSessionStore:
    if request.param == "sql":
        return SqlStaffSessionStore(sessions)
    return RedisStaffSessionStore(client)


@pytest.fixture
def accounts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    return add_account(sessions, "sam@shop.example"), add_account(sessions, "kim@shop.example")


def test_a_started_session_is_live_until_it_expires(
    store: StaffSessionStore, accounts: tuple[int, int]
) -> None:
    sam, _ = accounts
    now = utcnow()
    store.start("k1", sam, now + timedelta(hours=12))

    assert store.account_of("k1", now) == sam
    assert store.account_of("k1", now + timedelta(hours=13)) is None
    assert store.account_of("unknown", now) is None


def test_ending_one_session_leaves_the_others(
    store: StaffSessionStore, accounts: tuple[int, int]
) -> None:
    sam, _ = accounts
    now = utcnow()
    store.start("k1", sam, now + timedelta(hours=1))
    store.start("k2", sam, now + timedelta(hours=1))

    store.end("k1")

    assert store.account_of("k1", now) is None and store.account_of("k2", now) == sam


def test_ending_an_accounts_sessions_ends_only_its_own(
    store: StaffSessionStore, accounts: tuple[int, int]
) -> None:
    sam, kim = accounts
    now = utcnow()
    for key in ("s1", "s2"):
        store.start(key, sam, now + timedelta(hours=1))
    store.start("k1", kim, now + timedelta(hours=1))

    assert store.end_all(sam) == 2

    assert store.account_of("s1", now) is None and store.account_of("s2", now) is None
    assert store.account_of("k1", now) == kim
    assert store.end_all(sam) == 0


def test_redis_drops_a_session_at_its_expiry(client: redis.Redis) -> None:
    store = RedisStaffSessionStore(client)

    # Naive datetimes are UTC, as store.db.utcnow makes them.
    store.start("k1", 7, utcnow() + timedelta(hours=1))

    assert 3590 <= client.ttl("concierge:staff-session:k1") <= 3600
    assert 3590 <= client.ttl("concierge:staff-sessions-of:7") <= 3600
