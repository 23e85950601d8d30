"""Customer messages from Rasa's Telegram channel while an agent holds the conversation.

The web chat passes through the console, which keeps a held customer's messages for the
agent instead of sending them to Rasa (console/chat/socket.py). Telegram posts to Rasa
directly, so its channel (bot/channels/telegram.py) asks here first, with the channel
secret the console and Rasa share: when an agent holds the conversation the message is
kept for the agent's live page and the answer is ``{"held": true}`` (the bot stays quiet);
otherwise ``{"held": false}`` and the bot answers as usual.
"""

from __future__ import annotations

import asyncio
import hmac

from aiohttp import web

from concierge.rasa_credentials import HANDOFF_PATH
from console.chat.rasa_client import CHANNEL_SECRET_HEADER
from console.keys import handoff_desk_key, settings_key

# The path Rasa's Telegram channel is given (concierge/rasa_credentials.py).
PATH = HANDOFF_PATH
MAX_SENDER_CHARS = 255
MAX_TEXT_CHARS = 4096  # Telegram's own limit for one message


def _refused(status: int, error: str) -> web.Response:
    return web.json_response({"error": error}, status=status)


def _secret_ok(request: web.Request) -> bool:
    expected = request.app[settings_key].channel_secret
    sent = request.headers.get(CHANNEL_SECRET_HEADER, "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


async def customer_message(request: web.Request) -> web.StreamResponse:
    """Keep ``{"sender_id", "text"}`` for the agent holding the conversation, if one does."""
    if not _secret_ok(request):
        return _refused(403, f"Send the channel secret in {CHANNEL_SECRET_HEADER}.")
    try:
        body = await request.json()
    except ValueError:
        body = None
    sender_id = body.get("sender_id") if isinstance(body, dict) else None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(sender_id, str) or not 0 < len(sender_id) <= MAX_SENDER_CHARS:
        return _refused(400, f"Send a JSON object with sender_id (1-{MAX_SENDER_CHARS} chars).")
    if not isinstance(text, str) or not text.strip():
        return _refused(400, "Send a JSON object with the customer's text.")
    desk = request.app[handoff_desk_key]
    held = await asyncio.to_thread(desk.held_for, sender_id)
    if held is None:
        return web.json_response({"held": False})
    await asyncio.to_thread(desk.add_message, held.id, "customer", text[:MAX_TEXT_CHARS])
    return web.json_response({"held": True})
