"""Handoff of a Telegram conversation: the agent's words reach the customer's Telegram chat.

The console sends them with the Bot API's ``sendMessage`` (the outreach's sender) to the
local stand-in of the Bot API (tests/support/telegram_api.py), which records them. What
Telegram's real servers do is not tested here (README "Telegram").
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from concierge.rasa_credentials import HANDOFF_PATH
from concierge.settings import Settings
from console.app import create_app
from console.chat.rasa_client import CHANNEL_SECRET_HEADER
from console.chat.wording import BACK_TO_BOT_TEXT
from console.handoff.delivery import NOT_CONFIGURED_TEXT
from console.handoff.desk import HandoffDesk
from tests.console.conftest import CHANNEL_SECRET, COOKIE_SECRET, FakeRasa, make_settings
from tests.console.conversation_helpers import add_handoff, add_session
from tests.console.staff_helpers import add_account, csrf_of, sign_in
from tests.support.servers import free_port
from tests.support.telegram_api import (
    TELEGRAM_TEST_BOT,
    TELEGRAM_TEST_TOKEN,
    TelegramAPI,
    with_telegram,
)

pytestmark = pytest.mark.asyncio
NOW = datetime(2024, 11, 24, 9, 0)
JOINED = "Sam from customer service has joined the chat."


@pytest.fixture
def telegram_api() -> Iterator[TelegramAPI]:
    with TelegramAPI(TELEGRAM_TEST_TOKEN, TELEGRAM_TEST_BOT) as api:
        yield api


async def console_with(aiohttp_client: Any, settings: Settings) -> TestClient:
    app = create_app(settings, cookie_secret=COOKIE_SECRET, rasa_timeout_seconds=2.0)
    return await aiohttp_client(app)


@pytest_asyncio.fixture
async def telegram_console(
    aiohttp_client: Any,
    tmp_path: Path,
    sessions: sessionmaker[Session],
    fake_rasa: FakeRasa,
    telegram_api: TelegramAPI,
) -> TestClient:
    """A console with the Telegram settings Rasa's channel gets, pointed at the stand-in."""
    return await console_with(
        aiohttp_client, with_telegram(make_settings(tmp_path, fake_rasa.port), telegram_api)
    )


def telegram_handoff(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """A Telegram user's waiting handoff, as the bot's handoff action leaves it; (id, user id)."""
    user_id = random.randrange(10**8, 10**9)
    sender_id = f"telegram-{user_id}"
    session_id = add_session(sessions, sender_id, NOW, channel="telegram")
    return add_handoff(sessions, session_id, sender_id, NOW), user_id


async def take_as_sam(client: TestClient, sessions: sessionmaker[Session], handoff: int) -> str:
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(client, "sam@shop.example")
    token = await csrf_of(client, "/staff/handoffs")
    await client.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": token})
    return token


async def reply(client: TestClient, token: str, handoff: int, text: str) -> tuple[int, Any]:
    response = await client.post(
        f"/staff/handoffs/{handoff}/messages", json={"text": text}, headers={"X-CSRF-Token": token}
    )
    return response.status, await response.json()


async def test_the_queue_says_the_customer_is_on_telegram(
    telegram_console: TestClient, sessions: sessionmaker[Session]
) -> None:
    handoff, _ = telegram_handoff(sessions)
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(telegram_console, "sam@shop.example")

    body = await (await telegram_console.get("/staff/handoffs")).text()

    assert f'data-handoff-id="{handoff}"' in body
    assert '<span data-testid="handoff-channel">Telegram</span>' in body


async def test_agent_joins_replies_and_hands_back_in_the_customers_telegram_chat(
    telegram_console: TestClient, sessions: sessionmaker[Session], telegram_api: TelegramAPI
) -> None:
    handoff, user_id = telegram_handoff(sessions)

    token = await take_as_sam(telegram_console, sessions, handoff)
    status, body = await reply(telegram_console, token, handoff, "Your parcel left today.")
    back = await telegram_console.post(
        f"/staff/handoffs/{handoff}/hand-back", data={"csrf_token": token}, allow_redirects=False
    )

    assert status == 200 and body["delivered"] is True
    assert back.status == 303
    assert telegram_api.sent_texts(user_id) == [JOINED, "Your parcel left today.", BACK_TO_BOT_TEXT]
    live = await (await telegram_console.get(f"/staff/handoffs/{handoff}")).text()
    assert "customer on Telegram" in live


async def test_a_customer_who_blocked_the_bot_is_reported_to_the_agent_and_the_reply_kept(
    telegram_console: TestClient, sessions: sessionmaker[Session], telegram_api: TelegramAPI
) -> None:
    handoff, user_id = telegram_handoff(sessions)
    token = await take_as_sam(telegram_console, sessions, handoff)
    telegram_api.blocked.add(user_id)

    status, body = await reply(telegram_console, token, handoff, "Are you still there?")

    assert status == 503
    assert (
        "Telegram refused the message (403 Forbidden: bot was blocked by the user)"
        in (body["error"])
    )
    assert body["message"]["text"] == "Are you still there?"
    kept = [(m.author, m.text) for m in HandoffDesk(sessions).messages(handoff)]
    assert kept == [("agent", JOINED), ("agent", "Are you still there?")]


async def test_a_bot_api_that_does_not_answer_is_reported_to_the_agent(
    aiohttp_client: Any,
    tmp_path: Path,
    sessions: sessionmaker[Session],
    fake_rasa: FakeRasa,
    telegram_api: TelegramAPI,
) -> None:
    settings = with_telegram(make_settings(tmp_path, fake_rasa.port), telegram_api)
    nowhere = replace(settings, telegram_api_url=f"http://127.0.0.1:{free_port()}")
    client = await console_with(aiohttp_client, nowhere)
    handoff, _ = telegram_handoff(sessions)
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(client, "sam@shop.example")
    token = await csrf_of(client, "/staff/handoffs")

    taken = await client.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": token})
    status, body = await reply(client, token, handoff, "Hello?")

    # Taken all the same (the bot stays quiet); the agent reads why the customer was not told.
    assert taken.status == 503 and "could not reach Telegram's Bot API" in await taken.text()
    item = HandoffDesk(sessions).get(handoff)
    assert item is not None and item.status == "taken"
    assert status == 503 and "could not reach Telegram's Bot API" in body["error"]
    assert [m.text for m in HandoffDesk(sessions).messages(handoff)] == [JOINED, "Hello?"]


async def test_a_console_without_the_bot_token_says_it_cannot_answer_on_telegram(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    handoff, _ = telegram_handoff(sessions)
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(client, "sam@shop.example")
    token = await csrf_of(client, "/staff/handoffs")
    await client.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": token})

    status, body = await reply(client, token, handoff, "Hello?")

    assert status == 503 and body["error"] == NOT_CONFIGURED_TEXT
    live = await (await client.get(f"/staff/handoffs/{handoff}")).text()
    assert "this console cannot send to Telegram" in live


async def test_a_web_chat_handoff_still_goes_to_the_web_chat_only(
    telegram_console: TestClient, sessions: sessionmaker[Session], telegram_api: TelegramAPI
) -> None:
    session_id = add_session(sessions, "web-anna", NOW)
    handoff = add_handoff(sessions, session_id, "web-anna", NOW)
    token = await take_as_sam(telegram_console, sessions, handoff)

    status, body = await reply(telegram_console, token, handoff, "Hi Anna")

    assert status == 200 and body["delivered"] is False  # no web chat open right now
    assert telegram_api.calls_of("sendMessage") == []


async def ask_relay(client: TestClient, body: Any, secret: str | None = CHANNEL_SECRET) -> Any:
    """Post what Rasa's Telegram channel posts before a turn; (status, JSON answer)."""
    headers = {CHANNEL_SECRET_HEADER: secret} if secret is not None else {}
    response = await client.post(HANDOFF_PATH, json=body, headers=headers)
    return response.status, await response.json()


async def test_while_an_agent_holds_the_chat_telegram_messages_are_kept_for_the_agent(
    telegram_console: TestClient, sessions: sessionmaker[Session]
) -> None:
    handoff, user_id = telegram_handoff(sessions)
    sender_id = f"telegram-{user_id}"
    waiting = await ask_relay(telegram_console, {"sender_id": sender_id, "text": "hello?"})
    token = await take_as_sam(telegram_console, sessions, handoff)

    held = await ask_relay(telegram_console, {"sender_id": sender_id, "text": "<b>lost</b> parcel"})

    assert waiting == (200, {"held": False})  # waiting, not taken: the bot still answers
    assert held == (200, {"held": True})
    polled = await telegram_console.get(f"/staff/handoffs/{handoff}/messages?after=0")
    said = [(m["author"], m["text"]) for m in (await polled.json())["messages"]]
    assert said == [("agent", JOINED), ("customer", "<b>lost</b> parcel")]
    await telegram_console.post(f"/staff/handoffs/{handoff}/hand-back", data={"csrf_token": token})
    after = await ask_relay(telegram_console, {"sender_id": sender_id, "text": "thanks"})
    assert after == (200, {"held": False})


@pytest.mark.parametrize("secret", [None, "", CHANNEL_SECRET[:-1], "x" * 40])
async def test_the_relay_refuses_callers_without_the_channel_secret(
    telegram_console: TestClient, sessions: sessionmaker[Session], secret: str | None
) -> None:
    handoff, user_id = telegram_handoff(sessions)
    await take_as_sam(telegram_console, sessions, handoff)

    status, body = await ask_relay(
        telegram_console, {"sender_id": f"telegram-{user_id}", "text": "forged"}, secret
    )

    assert status == 403 and CHANNEL_SECRET_HEADER in body["error"]
    assert [m.author for m in HandoffDesk(sessions).messages(handoff)] == ["agent"]


@pytest.mark.parametrize(
    "body", [{"text": "hi"}, {"sender_id": "telegram-1"}, {"sender_id": "", "text": "x"}, [1]]
)
async def test_the_relay_says_what_a_malformed_request_lacks(
    telegram_console: TestClient, body: Any
) -> None:
    status, answer = await ask_relay(telegram_console, body)

    assert status == 400 and "Send a JSON object with" in answer["error"]
