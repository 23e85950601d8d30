"""Outreach messages waiting in the web chat, shown when a signed-in customer opens it.

The chat's socket calls ``show_waiting`` once it is ready and before it reads the
customer's first message, so the waiting offer comes first. What "waiting" means and how
two tabs are kept from both showing it: ``promotions.outreach_web``.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from console.chat.hub import send_frame
from console.keys import promotion_sessions_key, repository_key
from promotions.outreach_web import CHANNEL, put_back, take_waiting
from store.db import utcnow

log = logging.getLogger(__name__)


async def show_waiting(request: web.Request, ws: web.WebSocketResponse, sender_id: str) -> int:
    """Show the customer's waiting outreach messages on ``ws``; how many were shown.

    A guest has none. Should the socket close before the frame goes out, the messages
    wait again for the next visit.
    """
    customer = await asyncio.to_thread(
        request.app[repository_key].customer_for_sender, sender_id, CHANNEL
    )
    if customer is None:
        return 0
    sessions = request.app[promotion_sessions_key]
    waiting = await asyncio.to_thread(take_waiting, sessions, customer.id, utcnow())
    if not waiting:
        return 0
    frame = {"type": "bot", "reply_to": None, "messages": [m.to_json() for m in waiting]}
    if not await send_frame(ws, frame):
        await asyncio.to_thread(put_back, sessions, [m.id for m in waiting])
        return 0
    log.info("chat %s: showed %d waiting outreach message(s)", sender_id, len(waiting))
    return len(waiting)
