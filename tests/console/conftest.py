"""Fixtures of the console tests: a migrated SQLite shop, settings, and a Rasa stand-in.

The stand-in is a real aiohttp server on 127.0.0.1 speaking the REST channel protocol
(POST JSON in, JSON list of bot messages out). It exists only to test the relay's
protocol and error handling; the integration tests talk to the real Rasa.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from console.chat.rasa_client import CHANNEL_SECRET_HEADER, WEBHOOK_PATH
from store.db import STORE_DIR
from tests.factories import migrated_store, sqlite_url
from tests.support.servers import free_port

COOKIE_SECRET = b"console-tests-secret-0123456789"
CHANNEL_SECRET = "console-tests-channel-secret"
METRICS_TOKEN = "console-tests-metrics-token"
# The shop's identity secret: demo mode's customer picker signs with it, as a shop would.
IDENTITY_SECRET = "console-tests-identity-secret-0123456789"


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    factory = migrated_store(tmp_path)
    yield factory
    factory.kw["bind"].dispose()


def make_settings(tmp_path: Path, rasa_port: int) -> Settings:
    """Settings on the test's SQLite file, with Rasa expected on ``rasa_port``."""
    return Settings(
        var_dir=tmp_path,
        db_url=sqlite_url(tmp_path),
        tracker_db_url=sqlite_url(tmp_path, "tracker.db"),
        artifacts_dir=tmp_path / "artifacts",
        policy_file=STORE_DIR / "shop_policy.yml",
        host="127.0.0.1",
        rasa_port=rasa_port,
        console_port=free_port(),
        demo=True,
        identity_secret=IDENTITY_SECRET,
        channel_secret=CHANNEL_SECRET,
        metrics_token=METRICS_TOKEN,
    )


@dataclass
class FakeRasa:
    """What the REST channel stand-in received, and how it should answer."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    # The channel secret header of each request, as Rasa's concierge channel checks it.
    secrets_sent: list[str | None] = field(default_factory=list)
    # Answers a request body with (status, body); the default echoes the message.
    answer: Callable[[dict[str, Any]], tuple[int, Any]] = lambda body: (
        200,
        [{"recipient_id": body["sender"], "text": f"you said: {body['message']}"}],
    )
    delay_seconds: float = 0.0


@pytest_asyncio.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    """A real HTTP server on 127.0.0.1 playing Rasa's REST channel."""
    state = FakeRasa(port=free_port())

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        state.received.append(body)
        state.secrets_sent.append(request.headers.get(CHANNEL_SECRET_HEADER))
        if state.delay_seconds:
            await asyncio.sleep(state.delay_seconds)
        status, answer = state.answer(body)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return web.Response(status=status, text=text, content_type="application/json")

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", state.port)
    await site.start()
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
def settings(tmp_path: Path, sessions: sessionmaker[Session], fake_rasa: FakeRasa) -> Settings:
    return make_settings(tmp_path, fake_rasa.port)


@pytest_asyncio.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    app = create_app(settings, cookie_secret=COOKIE_SECRET, rasa_timeout_seconds=2.0)
    return await aiohttp_client(app)


@pytest_asyncio.fixture
async def rasa_down_client(
    aiohttp_client: Any, tmp_path: Path, sessions: sessionmaker[Session]
) -> TestClient:
    """A console whose Rasa URL points at a port nothing listens on."""
    settings = make_settings(tmp_path, free_port())
    app = create_app(settings, cookie_secret=COOKIE_SECRET, rasa_timeout_seconds=2.0)
    return await aiohttp_client(app)
