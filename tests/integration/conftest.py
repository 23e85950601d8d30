"""Conversations over the REST channel with the session's real stack (tests/conftest.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from concierge.stack import Stack
from console.chat.rasa_client import CHANNEL_SECRET_HEADER, WEBHOOK_PATH
from store.db import make_engine, make_session_factory
from store.repository import ShopRepository
from tests.support.servers import post_json
from tests.support.shop import Shop
from tests.support.tracker_store import tracker_state


class Chat:
    """One conversation over the concierge REST channel, as the console holds it."""

    def __init__(self, stack: Stack, sender_id: str | None = None) -> None:
        self.stack = stack
        self.sender_id = sender_id or f"test-{uuid.uuid4().hex[:12]}"
        self.url = stack.settings.rasa_url + WEBHOOK_PATH

    def say(self, text: Any) -> list[dict[str, Any]]:
        replies = post_json(
            self.url,
            {"sender": self.sender_id, "message": text, "metadata": {"channel": "web"}},
            timeout=120,
            headers={CHANNEL_SECRET_HEADER: self.stack.settings.channel_secret},
        )
        assert isinstance(replies, list)
        return replies

    def text(self, message: Any) -> str:
        """The bot's replies to ``message`` joined into one string."""
        return "\n".join(r.get("text") or "" for r in self.say(message))

    def tracker(self) -> dict[str, Any]:
        """Events, slots and active loop from the tracker store (Rasa has no HTTP API)."""
        return tracker_state(self.stack.settings.tracker_db_url, self.sender_id)


# Modules that set ``ALSO_ON_ENGINES = True`` run twice: on the embedded SQLite stack and on
# PostgreSQL + Redis (tests/conftest.py engines_stack), marked `engines`.
ENGINES = ("sqlite", pytest.param("postgresql+redis", marks=pytest.mark.engines))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if getattr(metafunc.module, "ALSO_ON_ENGINES", False) and "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ENGINES, indirect=True, scope="session")


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> str:
    """Which stack a test runs on: "sqlite" unless its module asks for both."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def _stack_and_shop(request: pytest.FixtureRequest, engine: str) -> tuple[Stack, Shop]:
    fixture = "full_stack" if engine == "sqlite" else "engines_stack"
    return request.getfixturevalue(fixture)


@pytest.fixture(scope="session")
def stack(_stack_and_shop: tuple[Stack, Shop]) -> Stack:
    return _stack_and_shop[0]


@pytest.fixture(scope="session")
def shop(_stack_and_shop: tuple[Stack, Shop]) -> Shop:
    return _stack_and_shop[1]


@pytest.fixture(scope="session")
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
