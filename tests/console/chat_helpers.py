"""Helpers the console tests share: start a chat and open its socket."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from console.chat.start_guard import CSRF_COOKIE
from console.signed_cookie import CHAT_COOKIE


async def chat_form(client: TestClient, **fields: str) -> dict[str, str]:
    """``fields`` plus the front page's CSRF token, as its forms send them (GET / sets it)."""
    await client.get("/")
    jar = client.session.cookie_jar.filter_cookies(client.make_url("/"))
    return {"csrf": jar[CSRF_COOKIE].value, **fields}


async def start_chat(client: TestClient, **fields: str) -> Any:
    """POST the front page's chat form with ``fields`` (e.g. ``guest="1"``); not followed."""
    form = await chat_form(client, **fields)
    return await client.post("/chat/start", data=form, allow_redirects=False)


async def open_chat(client: TestClient, customer_id: int | None = None) -> tuple[str, Any]:
    """Start a chat (as ``customer_id`` or as a guest), open its socket, wait until live."""
    fields = {"customer_id": str(customer_id)} if customer_id is not None else {"guest": "1"}
    response = await start_chat(client, **fields)
    assert response.status == 303, await response.text()
    sender_id = sender_id_of(response)
    ws = await client.ws_connect("/ws/chat")
    ready = await ws.receive_json(timeout=5)
    assert ready == {"type": "ready"}
    return sender_id, ws


def sender_id_of(response: Any) -> str:
    """The sender id inside the chat cookie a response set."""
    return response.cookies[CHAT_COOKIE].value.split(".")[0]
