"""The Telegram channel's account-linking commands: deep link, /link and /unlink.

Run in the Rasa environment: ``.venv-rasa/bin/python -m pytest tests/rasa_side/...
--confcutdir tests/rasa_side``. The whole conversation (the code redeemed, the customer's
order shown) is tested on the full stack in tests/integration/test_telegram_channel.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.channels.telegram import SECRET_HEADER, ConciergeTelegramInput, command_text
from tests.support.telegram_api import (
    TELEGRAM_TEST_BOT,
    TELEGRAM_TEST_TOKEN,
    TelegramAPI,
    private_chat_message,
)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "webhook-secret-for-tests_0123456789"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("/start", "/greet"),
        ("/start@ShopBot", "/greet"),
        ("/start ABCD2345", '/link_account{"link_code": "ABCD2345"}'),
        ("/start@ShopBot ABCD2345", '/link_account{"link_code": "ABCD2345"}'),
        ("/link abcd-2345", '/link_account{"link_code": "abcd-2345"}'),
        ("/link ABCD 2345", '/link_account{"link_code": "ABCD2345"}'),
        ("/link", "/link_account"),
        ("/unlink", "/unlink_account"),
        ("/UNLINK", "/unlink_account"),
        ("where is order 18992", "where is order 18992"),
        ("/linked", "/linked"),
    ],
)
def test_commands_become_the_linking_intents(typed: str, sent: str) -> None:
    assert command_text(typed) == sent


def test_a_code_cannot_break_out_of_the_intent_syntax() -> None:
    sent = command_text('/link AB"}, "customer_id": "1')
    assert sent.startswith("/link_account{")
    entities = json.loads(sent.removeprefix("/link_account"))
    assert entities == {"link_code": "ABcustomerid1"}


def test_rasa_reads_the_deep_link_as_the_bots_intent_with_its_code() -> None:
    # What Rasa's RegexMessageHandler does with a message starting with "/", checked
    # against the bot's own domain (an intent or entity it lacks would be dropped).
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    message = Message(data={TEXT: command_text("/start ABCD2345")})
    parsed = YAMLStoryReader.unpack_regex_message(message, domain)
    assert parsed.get(INTENT)[INTENT_NAME_KEY] == "link_account"
    entities = [(e["entity"], e["value"]) for e in parsed.get(ENTITIES)]
    assert entities == [("link_code", "ABCD2345")]
    unlink = YAMLStoryReader.unpack_regex_message(
        Message(data={TEXT: command_text("/unlink")}), domain
    )
    assert unlink.get(INTENT)[INTENT_NAME_KEY] == "unlink_account"


@pytest.fixture(scope="module")
def api() -> Iterator[TelegramAPI]:
    with TelegramAPI(TELEGRAM_TEST_TOKEN, TELEGRAM_TEST_BOT) as running:
        yield running


def test_the_deep_links_start_message_reaches_rasa_as_a_link_request(api: TelegramAPI) -> None:
    channel = ConciergeTelegramInput.from_credentials(
        {
            "access_token": TELEGRAM_TEST_TOKEN,
            "verify": TELEGRAM_TEST_BOT,
            "webhook_url": "https://chat.shop.test/webhooks/telegram/webhook",
            "secret_token": SECRET,
            "api_url": api.url,
        }
    )
    reached: list[Any] = []

    async def on_new_message(message: Any) -> None:
        reached.append(message)

    blueprint = channel.blueprint(on_new_message)
    handler = next(r.handler for r in blueprint._future_routes if r.uri == "/webhook")
    update = private_chat_message(7, 555007, "/start K7M2QR9X")
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=None)))
    request = SimpleNamespace(
        headers={SECRET_HEADER: SECRET}, json=update, ip="127.0.0.1", args={}, app=app
    )

    answer = asyncio.run(handler(request))

    assert answer.status == 200
    (message,) = reached
    assert message.sender_id == "telegram-555007"
    assert message.text == '/link_account{"link_code": "K7M2QR9X"}'
    assert message.metadata == {"channel": "telegram"}
