"""Helpers the console tests share: start a chat and open its socket."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from console.signed_cookie import CHAT_COOKIE


async def open_chat(client: TestClient, customer_id: int | None = None) -> tuple[str, Any]:
    """Start a chat (as ``customer_id`` or as a guest), open its socket, wait until live."""
    form = {"customer_id": str(customer_id)} if customer_id is not None else {"guest": "1"}
    response = await client.post("/chat/start", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    sender_id = sender_id_of(response)
    ws = await client.ws_connect("/ws/chat")
    ready = await ws.receive_json(timeout=5)
    assert ready == {"type": "ready"}
    return sender_id, ws


def sender_id_of(response: Any) -> str:
    """The sender id inside the chat cookie a response set."""
    return response.cookies[CHAT_COOKIE].value.split(".")[0]
