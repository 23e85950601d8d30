"""Test-shop helpers shared by the action tests: the shop handle, customers, products, time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from actions.services import get_services
from store.repository import ShopRepository, utcnow
from tests.factories import add_product


@dataclass
class Shop:
    """The test shop: its URL, a session factory for factories, the actions' repository."""

    url: str
    sessions: sessionmaker[Session]

    @property
    def repo(self) -> ShopRepository:
        """The very repository the actions use."""
        return get_services().repository


@dataclass(frozen=True)
class Customer:
    """A customer the test made, and the sender id they chat as."""

    id: int
    email: str


def days_ago(days: float) -> datetime:
    """A naive UTC time ``days`` before now, as the store keeps times."""
    return utcnow() - timedelta(days=days)


def lamp_and_throw(shop: Shop) -> tuple[int, int]:
    """Two products: a table lamp (lighting) and a wool throw (textiles)."""
    lamp = add_product(shop.sessions, title="Linen table lamp", category="lighting", price=39.0)
    throw = add_product(shop.sessions, title="Wool throw", category="textiles", price=45.5)
    return lamp, throw
