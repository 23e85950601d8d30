"""The Telegram channel when the console's handoff desk cannot say whether an agent holds a chat.

With the console answering, a held conversation's messages go to the agent, not the bot:
tests/integration/test_telegram_handoff.py drives that through the real Rasa and console.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels.telegram import SECRET_HEADER
from tests.rasa_side.test_telegram_channel import SECRET, _channel, _handler, _request
from tests.support.servers import free_port
from tests.support.telegram_api import (
    TELEGRAM_TEST_BOT,
    TELEGRAM_TEST_TOKEN,
    TelegramAPI,
    private_chat_message,
)


@pytest.fixture(scope="module")
def api() -> Iterator[TelegramAPI]:
    with TelegramAPI(TELEGRAM_TEST_TOKEN, TELEGRAM_TEST_BOT) as running:
        yield running


def test_a_console_that_does_not_answer_leaves_the_bot_answering(api: TelegramAPI) -> None:
    reached: list[Any] = []

    async def on_new_message(message: Any) -> None:
        reached.append(message)

    nowhere = f"http://127.0.0.1:{free_port()}/handoff/customer-messages"
    channel = _channel(api, handoff_url=nowhere, handoff_secret="s" * 32)
    handler = _handler(channel, on_new_message)
    update = private_chat_message(41, 555041, "where is my parcel?")

    answer = asyncio.run(handler(_request(update, {SECRET_HEADER: SECRET})))

    assert answer.status == 200
    assert [(m.sender_id, m.text) for m in reached] == [("telegram-555041", "where is my parcel?")]
