"""push_to_customer: the delivery path of a human agent's messages into an open chat."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient

from console.keys import chat_hub_key
from tests.console.chat_helpers import open_chat

pytestmark = pytest.mark.asyncio


async def test_agent_message_reaches_the_customers_open_chat(client: TestClient) -> None:
    sender_id, ws = await open_chat(client)
    hub = client.app[chat_hub_key]

    delivered = await hub.push_to_customer(sender_id, {"text": "Hi, Sam here.", "name": "Sam"})
    frame = await ws.receive_json(timeout=5)

    assert delivered is True
    assert frame["type"] == "agent" and frame["reply_to"] is None
    assert frame["messages"][0]["text"] == "Hi, Sam here."
    assert frame["messages"][0]["name"] == "Sam"


async def test_plain_text_agent_message_is_accepted(client: TestClient) -> None:
    sender_id, ws = await open_chat(client)

    assert await client.app[chat_hub_key].push_to_customer(sender_id, "<i>plain</i>")
    frame = await ws.receive_json(timeout=5)

    assert frame["messages"][0]["text"] == "<i>plain</i>"
    assert frame["messages"][0]["name"] is None


async def test_agent_message_reaches_every_tab_of_that_customer_only(client: TestClient) -> None:
    sender_id, first_tab = await open_chat(client)
    second_tab = await client.ws_connect("/ws/chat")
    assert (await second_tab.receive_json(timeout=5))["type"] == "ready"
    other_sender, other_chat = await open_chat(client)  # now the cookie holds other_sender
    hub = client.app[chat_hub_key]

    assert await hub.push_to_customer(sender_id, "for the first customer")

    for tab in (first_tab, second_tab):
        assert (await tab.receive_json(timeout=5))["messages"][0][
            "text"
        ] == "for the first customer"
    assert await hub.push_to_customer(other_sender, "for the second")
    assert (await other_chat.receive_json(timeout=5))["messages"][0]["text"] == "for the second"
    for tab in (first_tab, second_tab):
        with pytest.raises(TimeoutError):
            await tab.receive_json(timeout=0.2)


async def test_push_to_a_sender_without_an_open_chat_returns_false(client: TestClient) -> None:
    hub = client.app[chat_hub_key]

    assert await hub.push_to_customer("web-nobody-here", "hello?") is False
    assert hub.is_connected("web-nobody-here") is False


async def test_push_after_the_customer_left_returns_false(client: TestClient) -> None:
    sender_id, ws = await open_chat(client)
    hub = client.app[chat_hub_key]
    assert hub.connected_senders() == [sender_id]

    await ws.close()
    for _ in range(100):
        if not hub.is_connected(sender_id):
            break
        await asyncio.sleep(0.01)

    assert await hub.push_to_customer(sender_id, "are you still there?") is False
    assert hub.connected_senders() == []


@pytest.mark.parametrize("message", ["", "   ", {"name": "Sam"}, {"text": 42}])
async def test_agent_message_without_text_is_refused(client: TestClient, message: object) -> None:
    sender_id, _ = await open_chat(client)

    with pytest.raises(ValueError, match="needs non-empty text"):
        await client.app[chat_hub_key].push_to_customer(sender_id, message)
