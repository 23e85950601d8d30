"""A real Rasa server and a real action server on a shop database the tests fill.

The stack is started once per module (Rasa takes a while to load its model) on free
loopback ports, with its own SQLite files, and stopped by PID afterwards, even when a
test fails.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from concierge.stack import MODEL_PATH, Stack
from store.db import make_engine, make_session_factory
from store.repository import ShopRepository
from tests.support.servers import get_json, isolated_settings, post_json
from tests.support.shop import Shop, fill_shop


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
