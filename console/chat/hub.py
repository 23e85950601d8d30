"""The registry of open customer chat sockets, and delivery into them.

The relay answers a customer on the socket the message came from; everything else that
must reach a customer while their chat is open (a human agent taking over) goes through
:meth:`ChatHub.push_to_customer`, which finds that customer's sockets by sender id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import WSCloseCode, web

log = logging.getLogger(__name__)


class ChatHub:
    """Open chat sockets by sender id (a customer may have several tabs open)."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}

    def register(self, sender_id: str, ws: web.WebSocketResponse) -> None:
        """Remember that ``ws`` is an open chat of ``sender_id``."""
        self._sockets.setdefault(sender_id, set()).add(ws)

    def unregister(self, sender_id: str, ws: web.WebSocketResponse) -> None:
        """Forget ``ws``; a sender with no socket left is dropped."""
        sockets = self._sockets.get(sender_id)
        if sockets is None:
            return
        sockets.discard(ws)
        if not sockets:
            del self._sockets[sender_id]

    def is_connected(self, sender_id: str) -> bool:
        """Whether ``sender_id`` has at least one open chat socket."""
        return any(not ws.closed for ws in self._sockets.get(sender_id, ()))

    def connected_senders(self) -> list[str]:
        """Sender ids with an open chat, for the staff console."""
        return sorted(s for s in self._sockets if self.is_connected(s))

    async def push_to_customer(self, sender_id: str, message: str | Mapping[str, Any]) -> bool:
        """Show a human agent's ``message`` in every open chat of ``sender_id``.

        ``message`` is the text, or a mapping with ``text`` and an optional agent
        ``name``. Returns True when at least one open socket took the message, False
        when the customer has no open chat (the caller keeps the message for later).
        """
        frame = {"type": "agent", "reply_to": None, "messages": [_agent_message(message)]}
        delivered = False
        for ws in list(self._sockets.get(sender_id, ())):
            delivered = await send_frame(ws, frame) or delivered
        return delivered

    async def close_all(self) -> None:
        """Close every open chat socket (on shutdown, so the server stops promptly)."""
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        self._sockets.clear()


def _agent_message(message: str | Mapping[str, Any]) -> dict[str, Any]:
    text: object  # whatever the caller sent, checked below
    name: object
    if isinstance(message, str):
        text, name = message, None
    else:
        text, name = message.get("text"), message.get("name")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("an agent message needs non-empty text")
    if name is not None and not isinstance(name, str):
        raise ValueError("an agent's name must be text")
    return {"text": text, "name": name, "buttons": [], "image": None, "custom": None}


async def send_frame(ws: web.WebSocketResponse, frame: dict[str, Any]) -> bool:
    """Send one JSON frame; False (not an exception) when the socket has gone away."""
    if ws.closed:
        return False
    try:
        await ws.send_json(frame)
    except ConnectionError as exc:
        # The browser left between our check and the write; that is not an error here.
        log.info("chat socket closed while sending: %s", exc)
        return False
    return True
