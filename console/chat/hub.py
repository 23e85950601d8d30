"""The registry of open customer chat sockets, and delivery into them.

The relay answers a customer on the socket the message came from; everything else that
must reach a customer while their chat is open (a human agent taking over) goes through
:meth:`ChatHub.push_to_customer`, which finds that customer's sockets by sender id.

One console process keeps its sockets here. Several behind one load balancer also share
a :class:`Fanout` (``console.shared.chat_fanout``, Redis): a push reaches the sockets other
instances hold, and "who is connected" counts them all. When Redis is away, pushes to
sockets on this instance still work; a push that needed another instance raises
:class:`PushUnavailable` so the agent is told, and the customer's chat with the bot,
which never needs Redis, goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

from aiohttp import WSCloseCode, web

from console.shared.errors import PushUnavailable

log = logging.getLogger(__name__)


class Fanout(Protocol):
    """What the hub needs from the instances' shared state (see console/shared/chat_fanout.py)."""

    async def start(
        self,
        deliver: Callable[[str, dict[str, Any]], Awaitable[bool]],
        local_senders: Callable[[], Iterable[str]],
    ) -> None: ...

    async def stop(self) -> None: ...

    async def arrived(self, *sender_ids: str) -> None: ...

    async def left(self, *sender_ids: str) -> None: ...

    async def holders(self, sender_ids: list[str]) -> dict[str, set[str]]: ...

    async def publish(self, sender_id: str, frame: dict[str, Any]) -> bool: ...


class ChatHub:
    """Open chat sockets by sender id (a customer may have several tabs open)."""

    def __init__(self, fanout: Fanout | None = None) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        self._fanout = fanout

    async def start(self) -> None:
        """Join the other instances (with a fan-out); returns at once without one."""
        if self._fanout is not None:
            await self._fanout.start(self._deliver_here, lambda: list(self._sockets))

    async def register(self, sender_id: str, ws: web.WebSocketResponse) -> None:
        """Remember that ``ws`` is an open chat of ``sender_id`` (and tell the other instances)."""
        first = sender_id not in self._sockets
        self._sockets.setdefault(sender_id, set()).add(ws)
        if first and self._fanout is not None:
            try:
                await self._fanout.arrived(sender_id)
            except PushUnavailable as exc:
                # The chat works without it; the presence loop claims it once Redis is back.
                log.warning("chat of %s open without shared presence: %s", sender_id, exc.__cause__)

    async def unregister(self, sender_id: str, ws: web.WebSocketResponse) -> None:
        """Forget ``ws``; a sender with no socket left is dropped."""
        sockets = self._sockets.get(sender_id)
        if sockets is None:
            return
        sockets.discard(ws)
        if sockets:
            return
        del self._sockets[sender_id]
        if self._fanout is not None:
            try:
                await self._fanout.left(sender_id)
            except PushUnavailable as exc:
                log.info("presence of %s left to expire: %s", sender_id, exc.__cause__)

    def is_connected(self, sender_id: str) -> bool:
        """Whether ``sender_id`` has at least one open chat socket on this instance."""
        return any(not ws.closed for ws in self._sockets.get(sender_id, ()))

    def connected_senders(self) -> list[str]:
        """Sender ids with an open chat on this instance."""
        return sorted(s for s in self._sockets if self.is_connected(s))

    async def connected_anywhere(self, sender_ids: Iterable[str]) -> set[str]:
        """Which of ``sender_ids`` have an open chat on any instance (the staff pages ask).

        Without Redis the answer is this instance's own, and the outage is logged.
        """
        wanted = list(dict.fromkeys(sender_ids))
        here = {s for s in wanted if self.is_connected(s)}
        elsewhere = [s for s in wanted if s not in here]
        if self._fanout is None or not elsewhere:
            return here
        try:
            holders = await self._fanout.holders(elsewhere)
        except PushUnavailable as exc:
            log.warning("who is connected counts this instance only: %s", exc.__cause__)
            return here
        return here | {s for s, instances in holders.items() if instances}

    async def push_to_customer(self, sender_id: str, message: str | Mapping[str, Any]) -> bool:
        """Show a human agent's ``message`` in every open chat of ``sender_id``.

        ``message`` is the text, or a mapping with ``text`` and an optional agent
        ``name``. Returns True when at least one open socket (on any instance) took the
        message, False when the customer has no open chat (the caller keeps the message
        for later). Raises :class:`PushUnavailable` when no socket here took it and the
        other instances cannot be reached.
        """
        frame = {"type": "agent", "reply_to": None, "messages": [_agent_message(message)]}
        delivered = await self._deliver_here(sender_id, frame)
        if self._fanout is None:
            return delivered
        try:
            return await self._fanout.publish(sender_id, frame) or delivered
        except PushUnavailable as exc:
            if not delivered:
                raise
            # Shown on this instance's socket; other tabs on other instances may miss it.
            log.warning("agent message for %s shown here only: %s", sender_id, exc.__cause__)
            return True

    async def close_all(self) -> None:
        """Close every open chat socket and leave the other instances (on shutdown)."""
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        if self._fanout is not None:
            await self._fanout.stop()
        self._sockets.clear()

    async def _deliver_here(self, sender_id: str, frame: dict[str, Any]) -> bool:
        delivered = False
        for ws in list(self._sockets.get(sender_id, ())):
            delivered = await send_frame(ws, frame) or delivered
        return delivered


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
