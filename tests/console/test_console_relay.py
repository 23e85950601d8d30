"""The WebSocket relay between the chat page and Rasa's REST channel."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from console.chat.wording import UNAVAILABLE_TEXT
from tests.console.chat_helpers import open_chat, start_chat
from tests.console.conftest import COOKIE_SECRET, FakeRasa
from tests.factories import add_customer

pytestmark = pytest.mark.asyncio


async def say(ws: Any, text: str, message_id: str = "c1") -> dict[str, Any]:
    await ws.send_json({"type": "message", "id": message_id, "text": text})
    return await ws.receive_json(timeout=10)


async def test_customer_message_reaches_rasa_with_sender_and_channel(
    client: TestClient, fake_rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions)
    sender_id, ws = await open_chat(client, anna)

    reply = await say(ws, "where is my order 10234?", "c7")

    assert fake_rasa.received == [
        {"sender": sender_id, "message": "where is my order 10234?", "metadata": {"channel": "web"}}
    ]
    assert reply["type"] == "bot" and reply["reply_to"] == "c7"
    assert [m["text"] for m in reply["messages"]] == ["you said: where is my order 10234?"]


async def test_every_turn_carries_the_channel_secret_rasa_checks(
    client: TestClient, fake_rasa: FakeRasa, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    _sender_id, ws = await open_chat(client, add_customer(sessions))

    await say(ws, "hello", "c1")
    await say(ws, "where is my order 10234?", "c2")

    assert fake_rasa.secrets_sent == [settings.channel_secret] * 2


async def test_buttons_and_images_from_rasa_reach_the_page(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    fake_rasa.answer = lambda body: (
        200,
        [
            {
                "recipient_id": body["sender"],
                "text": "Shall I cancel order 10234?",
                "buttons": [
                    {"title": "Yes, cancel it", "payload": "/affirm"},
                    {"title": "No", "payload": "/deny"},
                ],
            },
            {"recipient_id": body["sender"], "image": "https://shop.example/lamp.jpg"},
            {"recipient_id": body["sender"], "image": "javascript:alert(1)"},
        ],
    )
    _, ws = await open_chat(client)

    reply = await say(ws, "cancel my order")

    first, second = reply["messages"]
    assert first["text"] == "Shall I cancel order 10234?"
    assert first["buttons"] == [
        {"title": "Yes, cancel it", "payload": "/affirm"},
        {"title": "No", "payload": "/deny"},
    ]
    assert second["image"] == "https://shop.example/lamp.jpg"
    # The javascript: image is dropped, leaving nothing to show of that message.
    assert len(reply["messages"]) == 2


async def test_markup_in_messages_is_relayed_unchanged_both_ways(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    hostile = "<b>hi</b><script>window.__xss=1</script>"
    _, ws = await open_chat(client)

    reply = await say(ws, hostile)

    assert fake_rasa.received[0]["message"] == hostile
    assert reply["messages"][0]["text"] == f"you said: {hostile}"


async def test_very_long_message_is_forwarded_in_full(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    long_text = "a very long complaint " * 10_000
    _, ws = await open_chat(client)

    reply = await say(ws, long_text)

    assert fake_rasa.received[0]["message"] == long_text
    assert reply["type"] == "bot"


async def test_messages_reach_rasa_and_come_back_in_the_order_sent(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay_seconds = 0.05
    _, ws = await open_chat(client)

    for n in range(5):
        await ws.send_json({"type": "message", "id": f"c{n}", "text": f"message {n}"})
    replies = [await ws.receive_json(timeout=10) for _ in range(5)]

    assert [body["message"] for body in fake_rasa.received] == [f"message {n}" for n in range(5)]
    assert [r["reply_to"] for r in replies] == [f"c{n}" for n in range(5)]


async def test_rasa_down_gives_the_friendly_notice_and_the_socket_stays_open(
    rasa_down_client: TestClient,
) -> None:
    _, ws = await open_chat(rasa_down_client)

    first = await say(ws, "hello?", "c1")
    second = await say(ws, "anyone there?", "c2")

    for frame, message_id in ((first, "c1"), (second, "c2")):
        assert frame == {
            "type": "error",
            "reply_to": message_id,
            "code": "assistant_unavailable",
            "text": UNAVAILABLE_TEXT,
        }
    assert UNAVAILABLE_TEXT == (
        "Sorry, the assistant is unavailable right now — please try again in a moment."
    )


@pytest.mark.parametrize(
    "status, body",
    [
        (500, [{"text": "boom"}]),
        (503, "Service Unavailable"),
        (404, {"error": "no channel"}),
        (200, "not json at all"),
        (200, {"text": "an object, not a list"}),
    ],
)
async def test_broken_rasa_answers_give_the_friendly_notice(
    client: TestClient, fake_rasa: FakeRasa, status: int, body: Any
) -> None:
    fake_rasa.answer = lambda _body: (status, body)
    _, ws = await open_chat(client)

    frame = await say(ws, "hi")

    assert frame["type"] == "error" and frame["text"] == UNAVAILABLE_TEXT


async def test_chat_recovers_once_rasa_answers_again(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    fake_rasa.answer = lambda _body: (502, "bad gateway")
    _, ws = await open_chat(client)
    failed = await say(ws, "hi", "c1")
    fake_rasa.answer = lambda body: (200, [{"recipient_id": body["sender"], "text": "Hello!"}])

    retried = await say(ws, "hi", "c2")

    assert failed["type"] == "error"
    assert retried["type"] == "bot" and retried["messages"][0]["text"] == "Hello!"


async def test_slow_rasa_times_out_into_the_friendly_notice(
    aiohttp_client: Any, settings: Settings, fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay_seconds = 2.0
    app = create_app(settings, cookie_secret=COOKIE_SECRET, rasa_timeout_seconds=0.3)
    client = await aiohttp_client(app)
    _, ws = await open_chat(client)

    started = asyncio.get_running_loop().time()
    frame = await say(ws, "hi")

    assert frame["type"] == "error" and frame["text"] == UNAVAILABLE_TEXT
    assert asyncio.get_running_loop().time() - started < 1.5


async def test_blank_message_is_not_sent_to_rasa(client: TestClient, fake_rasa: FakeRasa) -> None:
    _, ws = await open_chat(client)

    frame = await say(ws, "   \n ", "c1")

    assert frame["type"] == "error" and frame["code"] == "empty_message"
    assert frame["text"] == "Type a message before sending."
    assert fake_rasa.received == []


@pytest.mark.parametrize("raw", ["{not json", '["a", "list"]', '{"type": "hello"}'])
async def test_unreadable_frames_get_an_error_and_the_chat_goes_on(
    client: TestClient, fake_rasa: FakeRasa, raw: str
) -> None:
    _, ws = await open_chat(client)

    await ws.send_str(raw)
    error = await ws.receive_json(timeout=5)
    reply = await say(ws, "still there?")

    assert error["type"] == "error" and error["code"] == "invalid_message"
    assert reply["type"] == "bot"


async def test_flooding_messages_asks_the_customer_to_wait(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay_seconds = 0.2
    _, ws = await open_chat(client)

    for n in range(15):
        await ws.send_json({"type": "message", "id": f"c{n}", "text": f"spam {n}"})
    frames = [await ws.receive_json(timeout=10) for _ in range(15)]

    too_fast = [f for f in frames if f["type"] == "error" and f["code"] == "too_fast"]
    answered = [f for f in frames if f["type"] == "bot"]
    assert too_fast and answered
    assert len(too_fast) + len(answered) == 15
    assert len(fake_rasa.received) == len(answered)


async def test_socket_without_a_chat_cookie_is_closed_as_expired(client: TestClient) -> None:
    ws = await client.ws_connect("/ws/chat")

    message = await ws.receive(timeout=5)

    assert message.type == WSMsgType.CLOSE and message.data == 4401


async def test_socket_opened_by_another_site_is_refused(client: TestClient) -> None:
    await start_chat(client, guest="1")

    response = await client.get(
        "/ws/chat",
        headers={
            "Origin": "https://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )

    assert response.status == 403
    assert "only accepts connections from its own page" in await response.text()


async def test_leaving_mid_turn_does_not_disturb_later_chats(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay_seconds = 0.3
    _, ws = await open_chat(client)
    await ws.send_json({"type": "message", "id": "c1", "text": "hello"})
    await ws.close()
    await asyncio.sleep(0.5)

    _, again = await open_chat(client)
    reply = await say(again, "second visit")

    assert reply["type"] == "bot"
