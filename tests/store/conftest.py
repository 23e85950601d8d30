"""Fixtures of the store tests: a migrated SQLite file per test and a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.db import STORE_DIR
from store.policy import ShopPolicy, load_policy
from store.repository import ShopRepository
from tests.factories import migrated_store, sqlite_url

POLICY_FILE = STORE_DIR / "shop_policy.yml"


class FakeClock:
    """A clock the test sets and moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    factory = migrated_store(tmp_path)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def policy() -> ShopPolicy:
    return load_policy(POLICY_FILE)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2024, 4, 10, 12, 0))


@pytest.fixture
def repo(sessions: sessionmaker[Session], clock: FakeClock, policy: ShopPolicy) -> ShopRepository:
    return ShopRepository(sessions, clock=clock, policy=policy)
