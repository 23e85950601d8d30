"""Fixtures of the action tests: a real, migrated SQLite shop the action server uses.

The services of ``actions.services`` are pointed at the test database through the same
environment variables production uses (``CONCIERGE_DB_URL``, ``CONCIERGE_VAR_DIR``) and
rebuilt for every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.services import get_services, reset_services
from promotions.campaigns import GlobalSettings
from promotions.repository import PromotionRepository
from store.db import make_engine, make_session_factory
from tests.actions.shop_data import Customer, Shop, days_ago
from tests.actions.trackers import SENDER
from tests.factories import add_customer, add_identity, add_order, add_product, sqlite_url


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    """An empty shop database, migrated by the action services themselves."""
    url = sqlite_url(tmp_path, "shop.db")
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONCIERGE_DB_URL", url)
    reset_services()
    get_services()  # migrates the fresh file, as the server does on its first action
    engine = make_engine(url)
    yield Shop(url=url, sessions=make_session_factory(engine))
    engine.dispose()
    reset_services()


@pytest.fixture
def database_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Services pointed at a path SQLite cannot open (a directory)."""
    unopenable = tmp_path / "not-a-database"
    unopenable.mkdir()
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONCIERGE_DB_URL", f"sqlite:///{unopenable}")
    reset_services()
    yield
    reset_services()


@pytest.fixture
def anna(shop: Shop) -> Customer:
    """Anna Smith, signed in on the web chat as SENDER."""
    customer_id = add_customer(shop.sessions, email="anna@example.com", first_name="Anna")
    add_identity(shop.sessions, SENDER, customer_id)
    return Customer(customer_id, "anna@example.com")


@pytest.fixture
def bob(shop: Shop) -> Customer:
    """Another customer, whose orders Anna must not see."""
    customer_id = add_customer(shop.sessions, email="bob@example.com", first_name="Bob")
    return Customer(customer_id, "bob@example.com")


@pytest.fixture
def promos(shop: Shop) -> PromotionRepository:
    """The shop's promotions with no global hold-out, so decisions are deterministic."""
    repo = PromotionRepository(shop.sessions)
    repo.save_settings(GlobalSettings(holdout_share=0.0, max_offers_per_day=5))
    return repo


@pytest.fixture
def carla(shop: Shop) -> Customer:
    """A customer who agreed to marketing and ordered three months ago, chatting as SENDER."""
    customer_id = add_customer(
        shop.sessions, email="carla@example.com", first_name="Carla", marketing_consent=True
    )
    add_identity(shop.sessions, SENDER, customer_id)
    lamp = add_product(shop.sessions, title="Brass Lamp", category="lighting", price=45.0)
    add_order(shop.sessions, customer_id=customer_id, placed_at=days_ago(90), lines=[(lamp, 1)])
    return Customer(customer_id, "carla@example.com")
