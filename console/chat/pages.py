"""The customer web chat: front page (customer picker), chat start, chat page, relay.

The browser talks to the console over one WebSocket per chat page; the console relays
each customer message to Rasa's REST channel and sends the replies back on that socket.
The sender id never comes from the browser: it is issued by ``POST /chat/start`` and
carried in a signed cookie (see ``console.signed_cookie``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from store.demo_fixtures import DEMO_HINTS

from console.chat.hub import send_frame
from console.chat.rasa_client import RasaClient, RasaUnavailable
from console.handoff.desk import HandoffDesk
from console.keys import (
    chat_hub_key,
    cookie_signer_key,
    handoff_desk_key,
    rasa_client_key,
    repository_key,
)
from console.signed_cookie import CHAT_COOKIE
from store.errors import CustomerNotFound
from store.views import CustomerView

log = logging.getLogger(__name__)

CUSTOMERS_PER_PAGE = 25
# The page stops typing here and shows a counter; the server forwards whatever arrives.
MESSAGE_MAX_CHARS = 1000
# aiohttp closes a socket (code 1009) on a larger frame; the page tells the customer.
MAX_FRAME_BYTES = 4 * 1024 * 1024
# Messages waiting for Rasa per socket; beyond that the customer is asked to slow down.
MAX_PENDING_MESSAGES = 10
# Closing code the page reads as "this chat has expired, start again".
CLOSE_CHAT_EXPIRED = 4401

UNAVAILABLE_TEXT = "Sorry, the assistant is unavailable right now — please try again in a moment."
UNREADABLE_TEXT = "The chat could not read that message — please reload the page."
EMPTY_TEXT = "Type a message before sending."
TOO_FAST_TEXT = (
    "You're sending messages faster than the assistant can answer — please wait for a reply."
)


def add_chat_routes(app: web.Application) -> None:
    """Register the customer-facing routes on ``app``."""
    app.router.add_get("/", front_page, name="front")
    app.router.add_post("/chat/start", start_chat, name="chat_start")
    app.router.add_get("/chat", chat_page, name="chat")
    app.router.add_get("/ws/chat", chat_socket, name="chat_socket")


def new_sender_id() -> str:
    """A fresh, unguessable sender id for one web chat."""
    return f"web-{secrets.token_urlsafe(18)}"


async def front_page(request: web.Request) -> web.Response:
    """The demo's front page: pick a customer or continue as a guest."""
    notice = None
    if request.query.get("expired"):
        notice = "Your chat has ended. Pick a customer or continue as a guest to start a new one."
    return await _render_front(request, notice=notice)


async def _render_front(
    request: web.Request, *, error: str | None = None, notice: str | None = None, status: int = 200
) -> web.Response:
    search = request.query.get("q", "").strip()[:100]
    page = _page_number(request.query.get("page"))
    repository = request.app[repository_key]
    found = await asyncio.to_thread(
        repository.list_customers,
        limit=CUSTOMERS_PER_PAGE + 1,
        offset=page * CUSTOMERS_PER_PAGE,
        search=search or None,
    )
    context = {
        "customers": found[:CUSTOMERS_PER_PAGE],
        "search": search,
        "page": page,
        "has_next": len(found) > CUSTOMERS_PER_PAGE,
        # What to try as each demo customer, keyed by e-mail (the demo data fixes those).
        "hints": DEMO_HINTS,
        "error": error,
        "notice": notice,
    }
    return aiohttp_jinja2.render_template("front.html", request, context, status=status)


def _page_number(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), 10_000))
    except ValueError:
        return 0


async def start_chat(request: web.Request) -> web.Response:
    """Issue a sender id (linked to the chosen customer, if any) and open the chat."""
    form = await request.post()
    repository = request.app[repository_key]
    customer: CustomerView | None = None
    if not form.get("guest"):
        raw_id = str(form.get("customer_id", "")).strip()
        if not raw_id.isdigit():
            return await _render_front(
                request,
                error="Choose a customer from the list, or continue as a guest.",
                status=400,
            )
        customer = await asyncio.to_thread(repository.get_customer, int(raw_id))
        if customer is None:
            return await _render_front(
                request,
                error=f"There is no customer with id {raw_id}. Choose one from the list.",
                status=400,
            )

    sender_id = new_sender_id()
    if customer is not None:
        try:
            await asyncio.to_thread(repository.link_identity, "web", sender_id, customer.id)
        except CustomerNotFound:
            # Deleted between the lookup and the link: same answer as an unknown id.
            return await _render_front(
                request,
                error=f"There is no customer with id {customer.id}. Choose one from the list.",
                status=400,
            )
    response = web.Response(status=303, headers={"Location": "/chat"})
    signer = request.app[cookie_signer_key]
    response.set_cookie(
        CHAT_COOKIE,
        signer.sign(sender_id),
        max_age=signer.ttl_seconds,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.secure,
    )
    return response


async def chat_page(request: web.Request) -> web.Response:
    """The chat page of the sender id in the cookie; no valid cookie goes to the front page."""
    sender_id = request.app[cookie_signer_key].verify(request.cookies.get(CHAT_COOKIE))
    if sender_id is None:
        return web.Response(status=303, headers={"Location": "/?expired=1"})
    repository = request.app[repository_key]
    customer = await asyncio.to_thread(repository.customer_for_sender, sender_id, "web")
    context = {"customer": customer, "max_chars": MESSAGE_MAX_CHARS}
    return aiohttp_jinja2.render_template("chat.html", request, context)


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    """Relay the customer's messages to Rasa and send back its replies."""
    if not _same_origin(request):
        # A page on another site must not drive a customer's chat with their cookie.
        raise web.HTTPForbidden(text="This chat only accepts connections from its own page.")
    sender_id = request.app[cookie_signer_key].verify(request.cookies.get(CHAT_COOKIE))
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    if sender_id is None:
        await ws.close(code=CLOSE_CHAT_EXPIRED, message=b"chat expired")
        return ws

    hub = request.app[chat_hub_key]
    hub.register(sender_id, ws)
    # Tells the page (and tests) that messages and agent pushes now reach this socket.
    await send_frame(ws, {"type": "ready"})
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
        hub.unregister(sender_id, ws)
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)
    return ws


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    # Non-browser clients send no Origin; browsers always do on a WebSocket handshake.
    return origin is None or urlsplit(origin).netloc == request.host


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
