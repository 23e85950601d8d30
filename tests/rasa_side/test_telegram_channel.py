"""The Telegram channel's own decisions, against the Bot API stand-in (no Rasa server).

The whole conversation through a running Rasa is tests/integration/test_telegram_channel.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.telegram import (
    SECRET_HEADER,
    ConciergeTelegramInput,
    TelegramConfigurationError,
    callback_data_for,
    split_text,
)
from tests.support.telegram_api import (
    TELEGRAM_TEST_BOT,
    TELEGRAM_TEST_TOKEN,
    TelegramAPI,
    button_press,
    private_chat_message,
)

SECRET = "webhook-secret-for-tests_0123456789"


@pytest.fixture(scope="module")
def api() -> Iterator[TelegramAPI]:
    with TelegramAPI(TELEGRAM_TEST_TOKEN, TELEGRAM_TEST_BOT) as running:
        yield running


def _channel(api: TelegramAPI, **overrides: str) -> ConciergeTelegramInput:
    credentials = {
        "access_token": TELEGRAM_TEST_TOKEN,
        "verify": TELEGRAM_TEST_BOT,
        "webhook_url": "https://chat.shop.test/webhooks/telegram/webhook",
        "secret_token": SECRET,
        "api_url": api.url,
        **overrides,
    }
    return ConciergeTelegramInput.from_credentials(credentials)


def _handler(channel: ConciergeTelegramInput, on_new_message: Any) -> Any:
    blueprint = channel.blueprint(on_new_message)
    return next(r.handler for r in blueprint._future_routes if r.uri == "/webhook")


def _request(body: dict[str, Any], headers: dict[str, str], store: Any = None) -> Any:
    # What the handler reads of a Sanic request: headers, the JSON body, the app's agent.
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))
    return SimpleNamespace(headers=headers, json=body, ip="127.0.0.1", args={}, app=app)


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: ""}, {SECRET_HEADER: SECRET[:-1]}, {"X-Secret": SECRET}],
    ids=["none", "empty", "almost", "other header"],
)
def test_an_update_without_the_secret_gets_403_and_never_reaches_rasa(
    api: TelegramAPI, headers: dict[str, str]
) -> None:
    reached: list[Any] = []

    async def on_new_message(message: Any) -> None:
        reached.append(message)

    handler = _handler(_channel(api), on_new_message)
    update = private_chat_message(1, 555001, "where is order 18992")

    answer = asyncio.run(handler(_request(update, headers)))

    assert answer.status == 403
    assert reached == []


def test_a_message_arrives_as_the_senders_own_telegram_conversation(api: TelegramAPI) -> None:
    reached: list[Any] = []

    async def on_new_message(message: Any) -> None:
        reached.append(message)

    handler = _handler(_channel(api), on_new_message)
    update = private_chat_message(2, 555002, "/start")

    answer = asyncio.run(handler(_request(update, {SECRET_HEADER: SECRET})))

    assert answer.status == 200
    (message,) = reached
    assert (message.sender_id, message.text) == ("telegram-555002", "/greet")
    assert message.metadata == {"channel": "telegram"}
    assert message.input_channel == "telegram"


def test_a_group_chat_is_not_answered(api: TelegramAPI) -> None:
    reached: list[Any] = []

    async def on_new_message(message: Any) -> None:
        reached.append(message)

    update = private_chat_message(3, 555003, "hello")
    update["message"]["chat"] = {"id": -100123, "type": "group", "title": "Friends"}
    handler = _handler(_channel(api), on_new_message)

    answer = asyncio.run(handler(_request(update, {SECRET_HEADER: SECRET})))

    assert answer.status == 200
    assert reached == []


def test_a_long_button_payload_travels_as_a_digest_and_arrives_whole(api: TelegramAPI) -> None:
    payload = '/inform{"product": "Hand-thrown Speckled Stoneware Serving Bowl, Extra Large"}'
    assert len(payload.encode()) > 64
    data = callback_data_for(payload)
    assert len(data.encode()) <= 64
    sender = "telegram-555004"
    store = InMemoryTrackerStore(Domain.empty())
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(
        BotUttered("Which one?", data={"buttons": [{"title": "Bowl", "payload": payload}]})
    )
    reached: list[Any] = []

    async def on_new_message(message: Any) -> None:
        reached.append(message)

    handler = _handler(_channel(api), on_new_message)  # before the loop runs, as in Rasa

    async def turn() -> Any:
        await store.save(tracker)
        shown = {"message_id": 9, "date": 0, "chat": {"id": 555004, "type": "private"}}
        update = button_press(4, 555004, data, shown)
        forged = button_press(5, 555004, callback_data_for(payload + " "), shown)
        await handler(_request(forged, {SECRET_HEADER: SECRET}, store))
        return await handler(_request(update, {SECRET_HEADER: SECRET}, store))

    answer = asyncio.run(turn())

    assert answer.status == 200
    # Only the button the bot offered resolves; a digest of anything else is dropped.
    assert [(m.sender_id, m.text) for m in reached] == [(sender, payload)]
    answered = [c.params["callback_query_id"] for c in api.calls_of("answerCallbackQuery")]
    assert {"cq-4", "cq-5"} <= set(answered)


def test_long_replies_are_split_under_telegrams_limit_without_losing_words() -> None:
    words = [f"word{i}" for i in range(2500)]
    text = " ".join(words) + "\n\nA second paragraph."
    parts = split_text(text)
    assert all(0 < len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == text.split()
    assert parts[-1] == "A second paragraph."


def test_a_channel_without_its_webhook_secret_does_not_open(api: TelegramAPI) -> None:
    with pytest.raises(TelegramConfigurationError, match="secret_token"):
        _channel(api, secret_token="")


def test_a_bot_name_that_is_not_the_tokens_stops_start_up(api: TelegramAPI) -> None:
    channel = _channel(api, verify="someone_elses_bot")
    with pytest.raises(TelegramConfigurationError, match="TELEGRAM_BOT_NAME"):
        channel.get_output_channel()
