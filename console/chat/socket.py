"""The chat page's WebSocket: the customer's messages go to Rasa, its replies come back.

One socket per chat page; each customer message is relayed to Rasa's REST channel (or,
while a person holds the chat, stored for that agent) and the replies are sent back on
the same socket. Frames are JSON; ``console/static/js/chat.js`` is the other end.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from console.chat.hub import send_frame
from console.chat.rasa_client import RasaClient, RasaUnavailable
from console.chat.start_guard import origin_trusted
from console.chat.waiting import show_waiting
from console.chat.wording import (
    EMPTY_TEXT,
    OTHER_SITE_REFUSED,
    TOO_FAST_TEXT,
    UNAVAILABLE_TEXT,
    UNREADABLE_TEXT,
)
from console.handoff.desk import HandoffDesk
from console.keys import (
    chat_hub_key,
    cookie_signer_key,
    handoff_desk_key,
    rasa_client_key,
    trusted_origins_key,
)
from console.signed_cookie import CHAT_COOKIE

log = logging.getLogger(__name__)

# aiohttp closes a socket (code 1009) on a larger frame; the page tells the customer.
MAX_FRAME_BYTES = 4 * 1024 * 1024
# Messages waiting for Rasa per socket; beyond that the customer is asked to slow down.
MAX_PENDING_MESSAGES = 10
# Closing code the page reads as "this chat has expired, start again".
CLOSE_CHAT_EXPIRED = 4401
# The subprotocol the chat page and the widget speak (the widget adds its ticket).
CHAT_PROTOCOL = "concierge-chat"


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    """Relay the customer's messages to Rasa and send back its replies."""
    if not origin_trusted(request, request.app[trusted_origins_key], required=False):
        # A page on another site must not drive a customer's chat with their cookie.
        raise web.HTTPForbidden(text=OTHER_SITE_REFUSED)
    signer = request.app[cookie_signer_key]
    ticket = _ticket(request)
    sender_id = signer.verify(ticket) if ticket else signer.verify(request.cookies.get(CHAT_COOKIE))
    ws = web.WebSocketResponse(
        heartbeat=25.0, max_msg_size=MAX_FRAME_BYTES, protocols=(CHAT_PROTOCOL,)
    )
    await ws.prepare(request)
    if sender_id is None:
        await ws.close(code=CLOSE_CHAT_EXPIRED, message=b"chat expired")
        return ws

    hub = request.app[chat_hub_key]
    await hub.register(sender_id, ws)
    # Tells the page (and tests) that messages and agent pushes now reach this socket.
    await send_frame(ws, {"type": "ready"})
    # Before the first customer message is read, so an offer left by outreach comes first.
    await _show_waiting(request, ws, sender_id)
    pending: asyncio.Queue[tuple[str | None, str]] = asyncio.Queue(MAX_PENDING_MESSAGES)
    # Rasa is called from a separate task so this loop keeps reading (close frames,
    # pings) while a slow turn is in flight, and turns still reach Rasa in order.
    relay = asyncio.create_task(
        _relay_turns(
            ws, request.app[rasa_client_key], request.app[handoff_desk_key], sender_id, pending
        )
    )
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await _accept_customer_frame(ws, msg.data, pending)
            elif msg.type == WSMsgType.BINARY:
                await send_frame(ws, _error_frame(None, "invalid_message", UNREADABLE_TEXT))
            elif msg.type == WSMsgType.ERROR:
                log.info("chat socket of %s failed: %s", sender_id, ws.exception())
    finally:
        relay.cancel()
        await hub.unregister(sender_id, ws)
        await asyncio.gather(relay, return_exceptions=True)
    return ws


async def _show_waiting(request: web.Request, ws: web.WebSocketResponse, sender_id: str) -> None:
    try:
        await show_waiting(request, ws, sender_id)
    except Exception:  # noqa: BLE001 - a store hiccup must not keep the customer from chatting
        log.exception("waiting outreach messages of chat %s not shown", sender_id)


def _ticket(request: web.Request) -> str | None:
    """The widget's chat ticket, offered as a subprotocol ``ticket.<signed sender id>``.

    The widget's frame may get no cookie (third-party cookies blocked), and a ticket in
    the URL would land in access logs; the subprotocol header does neither.
    """
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    for protocol in offered.split(","):
        name, _, value = protocol.strip().partition(".")
        if name == "ticket" and value:
            return value
    return None


async def _accept_customer_frame(
    ws: web.WebSocketResponse, data: str, pending: asyncio.Queue[tuple[str | None, str]]
) -> None:
    try:
        frame = json.loads(data)
    except json.JSONDecodeError:
        frame = None
    if not isinstance(frame, dict) or frame.get("type") != "message":
        await send_frame(ws, _error_frame(None, "invalid_message", UNREADABLE_TEXT))
        return
    raw_id = frame.get("id")
    reply_to = raw_id[:64] if isinstance(raw_id, str) else None
    text = frame.get("text")
    if not isinstance(text, str) or not text.strip():
        await send_frame(ws, _error_frame(reply_to, "empty_message", EMPTY_TEXT))
        return
    try:
        pending.put_nowait((reply_to, text))
    except asyncio.QueueFull:
        await send_frame(ws, _error_frame(reply_to, "too_fast", TOO_FAST_TEXT))


async def _relay_turns(
    ws: web.WebSocketResponse,
    rasa: RasaClient,
    desk: HandoffDesk,
    sender_id: str,
    pending: asyncio.Queue[tuple[str | None, str]],
) -> None:
    while True:
        reply_to, text = await pending.get()
        try:
            if await _passed_to_agent(desk, sender_id, text):
                # A person holds this chat: the bot stays silent, the agent's page shows it.
                frame: dict[str, Any] = {"type": "delivered", "reply_to": reply_to}
                if not await send_frame(ws, frame):
                    return
                continue
            replies = await rasa.send(sender_id, text)
        except RasaUnavailable as exc:
            log.warning("relay to Rasa failed for %s: %s", sender_id, exc)
            frame = _error_frame(reply_to, "assistant_unavailable", UNAVAILABLE_TEXT)
        except Exception:  # noqa: BLE001 - a bug here must not silence the chat
            log.exception("relay to Rasa crashed for %s", sender_id)
            frame = _error_frame(reply_to, "assistant_unavailable", UNAVAILABLE_TEXT)
        else:
            frame = {
                "type": "bot",
                "reply_to": reply_to,
                "messages": [reply.to_json() for reply in replies],
            }
        if not await send_frame(ws, frame):
            await ws.close(code=WSCloseCode.GOING_AWAY)
            return


async def _passed_to_agent(desk: HandoffDesk, sender_id: str, text: str) -> bool:
    """Store the message for the agent when one holds the chat; False when the bot answers."""
    held = await asyncio.to_thread(desk.held_for, sender_id)
    if held is None:
        return False
    await asyncio.to_thread(desk.add_message, held.id, "customer", text)
    return True


def _error_frame(reply_to: str | None, code: str, text: str) -> dict[str, Any]:
    return {"type": "error", "reply_to": reply_to, "code": code, "text": text}
