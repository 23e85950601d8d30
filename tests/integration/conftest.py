"""A real Rasa server and a real action server on a shop database the tests fill.

The stack is started once per module (Rasa takes a while to load its model) on free
loopback ports, with its own SQLite files, and stopped by PID afterwards, even when a
test fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from concierge.stack import MODEL_PATH, Stack
from store.db import make_engine, make_session_factory
from store.repository import ShopRepository
from tests.factories import add_customer, add_order, add_product, migrated_store
from tests.support.servers import get_json, isolated_settings, post_json


@dataclass
class Shop:
    """The known rows the conversations talk about."""

    anna_id: int
    ben_id: int
    anna_shipped: Any
    anna_delivered: Any
    anna_pending: Any
    ben_order: Any
    guest_order: Any


def fill_shop(var_dir: Path) -> Shop:
    sessions = migrated_store(var_dir, "concierge.db")
    now = datetime.utcnow()
    anna = add_customer(sessions, email="anna.smith@example.com", first_name="Anna")
    ben = add_customer(sessions, email="ben.jones@example.com", first_name="Ben", last_name="Jones")
    lamp = add_product(sessions, title="Brass Bedside Lamp", category="lighting", price=45.0)
    mug = add_product(sessions, title="Speckled Stoneware Mug", category="kitchen", price=12.5)
    shipped = add_order(
        sessions, customer_id=anna, status="shipped", placed_at=now - timedelta(days=2),
        lines=[(lamp, 1)], carrier="DPD",
    )
    delivered = add_order(
        sessions, customer_id=anna, status="delivered", placed_at=now - timedelta(days=8),
        lines=[(mug, 2)],
    )
    pending = add_order(
        sessions, customer_id=anna, status="pending", placed_at=now - timedelta(hours=3),
        lines=[(mug, 1)],
    )
    ben_order = add_order(sessions, customer_id=ben, status="shipped", lines=[(lamp, 1)])
    guest = add_order(
        sessions, customer_id=None, email="guest.buyer@example.org", status="processing",
        lines=[(mug, 1)],
    )
    return Shop(anna, ben, shipped, delivered, pending, ben_order, guest)


class Chat:
    """One conversation over the concierge REST channel."""

    def __init__(self, stack: Stack, sender_id: str | None = None) -> None:
        self.stack = stack
        self.sender_id = sender_id or f"test-{uuid.uuid4().hex[:12]}"
        self.url = f"{stack.settings.rasa_url}/webhooks/concierge/webhook"

    def say(self, text: Any) -> list[dict[str, Any]]:
        replies = post_json(
            self.url,
            {"sender": self.sender_id, "message": text, "metadata": {"channel": "web"}},
            timeout=120,
        )
        assert isinstance(replies, list)
        return replies

    def text(self, message: Any) -> str:
        """The bot's replies to ``message`` joined into one string."""
        return "\n".join(r.get("text") or "" for r in self.say(message))

    def tracker(self) -> dict[str, Any]:
        return get_json(f"{self.stack.settings.rasa_url}/conversations/{self.sender_id}/tracker")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory):
    if not MODEL_PATH.exists():
        pytest.fail(f"No trained model at {MODEL_PATH}; `make test` trains it first.")
    var_dir = tmp_path_factory.mktemp("stack")
    settings = isolated_settings(var_dir)
    shop = fill_shop(var_dir)
    stack = Stack(settings, services=("actions", "rasa"))
    stack.start(timeout=300)
    try:
        yield stack, shop
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def stack(running) -> Stack:
    return running[0]


@pytest.fixture(scope="module")
def shop(running) -> Shop:
    return running[1]


@pytest.fixture(scope="module")
def repo(stack: Stack) -> ShopRepository:
    return ShopRepository(make_session_factory(make_engine(stack.settings.db_url)))


@pytest.fixture
def anna_chat(stack: Stack, shop: Shop, repo: ShopRepository) -> Chat:
    chat = Chat(stack, f"web-{uuid.uuid4().hex[:12]}")
    repo.link_identity("web", chat.sender_id, shop.anna_id)
    return chat


@pytest.fixture
def guest_chat(stack: Stack) -> Chat:
    return Chat(stack, f"guest-{uuid.uuid4().hex[:12]}")
