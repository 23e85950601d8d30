"""A closed-loop load driver: many customer conversations at once, through the public entry.

Each conversation goes the way a customer's browser does (``console/chat/pages.py``,
``console/static/js/chat.js``): the front page for the CSRF cookie, ``POST /chat/start``
with a shop-signed identity, the chat page, then the WebSocket ``/ws/chat`` carrying one
message at a time and waiting for its reply. Every conversation has its own cookie jar and
its own loopback source address (127.x.y.z), so the console's per-address chat-start limit
sees separate customers, as it would in a shop. Rasa's own ``rasa init`` assistant is driven
the same way through its REST channel (:class:`RestChat`) for the benchmark's baseline.

What it records is what a test checks afterwards: each conversation's sender id and every
turn it sent, with its outcome and latency, so :func:`tracker_problems` can tell whether
the tracker store holds every turn exactly once and in order. A socket that drops (the
console instance holding it was killed) is reconnected like the page does, and counted;
the turn in flight then has an unknown fate (``dropped``: at most once in the tracker).
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from yarl import URL

from console.chat.identity import sign_hmac_identity
from console.chat.start_guard import CSRF_COOKIE, CSRF_FIELD
from console.signed_cookie import CHAT_COOKIE
from tests.support.load_report import (
    ANSWERED,
    DROPPED,
    ERROR,
    TIMEOUT,
    ConversationRecord,
    LoadReport,
    Turn,
    tracker_problems,
)

# What a run recorded lives in load_report; the tests import it from here with the driver.
__all__ = [
    "ANSWERED",
    "CUSTOMER_SCRIPT",
    "DROPPED",
    "ERROR",
    "TIMEOUT",
    "Chat",
    "ConsoleChat",
    "ConversationRecord",
    "LoadCustomer",
    "LoadReport",
    "RestChat",
    "Turn",
    "conversation_script",
    "loopback_address",
    "run_load",
    "tracker_problems",
]

# Closing code the console sends when the chat cookie no longer verifies (console.chat.socket).
CLOSE_CHAT_EXPIRED = 4401

# Twenty turns a customer of the demo shop might send, each one the trained model answers
# (phrases from tests/integration and nlu_data/): greeting, her own order, shipping,
# returns, products, recommendations, thanks. ``{order}`` is one of her order numbers.
CUSTOMER_SCRIPT: tuple[str, ...] = (
    "hi",
    "how are you?",
    "where is my order {order}?",
    "how much does shipping cost?",
    "how long does delivery take?",
    "what is your return policy?",
    "is there a warranty on your products?",
    "which payment methods do you accept?",
    "what would you recommend",
    "what's popular right now",
    "show me something like the lamp I bought",
    "red lamp under 20",
    "I'm looking for something in sage green for the kitchen under £30",
    "has my parcel shipped",
    "{order}",
    "what are your opening hours?",
    "what can you do?",
    "are you a bot?",
    "thanks!",
    "bye",
)


def conversation_script(order_number: str, turns: int = len(CUSTOMER_SCRIPT)) -> list[str]:
    """The first ``turns`` messages of the script for a customer whose order is ``order_number``.

    Texts are unique within a conversation, so a tracker's copy of each can be counted.
    """
    if not 1 <= turns <= len(CUSTOMER_SCRIPT):
        raise ValueError(f"a conversation has 1 to {len(CUSTOMER_SCRIPT)} turns, got {turns}")
    return [line.format(order=order_number) for line in CUSTOMER_SCRIPT[:turns]]


@dataclass(frozen=True)
class LoadCustomer:
    """A customer the shop's server signs in: its id for her and one of her order numbers."""

    external_id: str
    order_number: str


class Chat(Protocol):
    """One conversation a load worker drives: start, say one thing at a time, close."""

    record: ConversationRecord

    async def start(self) -> None: ...

    async def say(self, text: str) -> Turn: ...

    async def close(self) -> None: ...


def loopback_address(n: int) -> str:
    """The ``n``-th client address in 127.0.0.0/8 (127.0.0.1, the servers' own, is skipped)."""
    n += 2
    return f"127.{(n >> 16) & 0xFF}.{(n >> 8) & 0xFF}.{n & 0xFF}"


class ChatExpired(Exception):
    """The console closed the socket with 4401: this chat is over, start a new one."""


class ConsoleChat:
    """A customer's chat through the console: signed identity, CSRF, cookie, WebSocket."""

    def __init__(
        self,
        base_url: str,
        identity_secret: str,
        customer: LoadCustomer,
        *,
        source_address: str = "127.0.0.1",
        turn_timeout: float = 60.0,
        reconnect_for: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.customer = customer
        self.record = ConversationRecord(sender_id="")
        self._secret = identity_secret
        self._turn_timeout = turn_timeout
        self._reconnect_for = reconnect_for
        self._session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for an IP-address host
            connector=aiohttp.TCPConnector(local_addr=(source_address, 0)),
            timeout=aiohttp.ClientTimeout(total=turn_timeout),
        )
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._frames: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)

    async def start(self) -> None:
        """Open the chat as the page does; a refusal is recorded in ``record.start_error``."""
        origin = {"Origin": self.base_url}
        async with self._session.get(self.base_url + "/") as front:
            front.raise_for_status()
        csrf = self._cookie(CSRF_COOKIE)
        identity = sign_hmac_identity(self._secret, self.customer.external_id)
        form = {CSRF_FIELD: csrf, "identity": identity}
        async with self._session.post(
            self.base_url + "/chat/start", data=form, headers=origin, allow_redirects=False
        ) as started:
            if started.status != 303:
                self.record.start_error = f"chat start answered {started.status}"
                return
        # The cookie is "<sender id>.<expires>.<mac>": the id is the tracker's key.
        self.record.sender_id = self._cookie(CHAT_COOKIE).split(".", 1)[0]
        async with self._session.get(self.base_url + "/chat") as page:
            page.raise_for_status()
        await self._connect()

    def _cookie(self, name: str) -> str:
        cookies = self._session.cookie_jar.filter_cookies(URL(self.base_url + "/"))
        morsel = cookies.get(name)
        if morsel is None:
            raise RuntimeError(f"the console set no {name} cookie")
        return morsel.value

    async def _connect(self) -> None:
        """Open the socket and wait for ``ready`` (messages reach this socket from then on)."""
        ws_url = self.base_url.replace("http", "ws", 1) + "/ws/chat"
        ws = await self._session.ws_connect(ws_url, headers={"Origin": self.base_url})
        msg = await ws.receive(timeout=self._turn_timeout)
        if msg.type != aiohttp.WSMsgType.TEXT or msg.json().get("type") != "ready":
            code = ws.close_code
            await ws.close()
            if code == CLOSE_CHAT_EXPIRED:
                raise ChatExpired("the console no longer knows this chat's cookie")
            raise ConnectionError(f"socket closed before it was ready ({code})")
        self._ws = ws
        self._frames = asyncio.Queue()
        self._reader = asyncio.create_task(self._read(ws, self._frames))

    @staticmethod
    async def _read(
        ws: aiohttp.ClientWebSocketResponse, frames: asyncio.Queue[dict[str, Any] | None]
    ) -> None:
        """Queue every frame as the page's message handler sees it; None once the socket closes.

        Reading all the time (not only while a turn waits) notices a console that went away
        between turns, as the page's ``close`` event does.
        """
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    frames.put_nowait(msg.json())
        finally:
            frames.put_nowait(None)

    async def _reconnect(self) -> bool:
        """Reconnect with back-off as chat.js does; False when the console stays away."""
        self.record.reconnects += 1
        deadline = time.monotonic() + self._reconnect_for
        delay = 0.5
        while time.monotonic() < deadline:
            try:
                await self._connect()
                return True
            except ChatExpired:
                return False
            except (aiohttp.ClientError, ConnectionError, OSError, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        return False

    async def say(self, text: str) -> Turn:
        """Send ``text`` and wait for its reply; the turn is appended to the record."""
        turn = await self._exchange(text)
        self.record.turns.append(turn)
        return turn

    def _connected(self) -> bool:
        if self._ws is None or self._reader is None:
            return False
        return not self._ws.closed and not self._reader.done()

    async def _exchange(self, text: str) -> Turn:
        # A socket that closed between turns is reopened before this turn is sent.
        if not self._connected() and not await self._reconnect():
            return Turn(text, ERROR, code="offline")
        assert self._ws is not None
        message_id = f"c{next(self._ids)}"
        began = time.monotonic()
        try:
            await self._ws.send_json({"type": "message", "id": message_id, "text": text})
        except (ConnectionError, aiohttp.ClientError):
            return Turn(text, ERROR, code="not_sent")  # never left: known not to reach Rasa
        deadline = began + self._turn_timeout
        while True:
            try:
                frame = await asyncio.wait_for(self._frames.get(), deadline - time.monotonic())
            except TimeoutError:
                return Turn(text, TIMEOUT, code="timeout")
            if frame is None:
                return Turn(text, DROPPED, code=f"socket closed ({self._ws.close_code})")
            if frame.get("reply_to") != message_id:
                continue  # a late reply to an earlier turn, or an agent's push
            latency = time.monotonic() - began
            if frame.get("type") == "bot":
                texts = tuple(str(m.get("text") or "") for m in frame.get("messages") or ())
                return Turn(text, ANSWERED, latency, replies=texts)
            return Turn(text, ERROR, latency, str(frame.get("code", frame.get("type"))))

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._session.close()


class RestChat:
    """A conversation with a Rasa server through its stock REST channel (the baseline)."""

    def __init__(self, rasa_url: str, *, turn_timeout: float = 60.0) -> None:
        self.url = rasa_url.rstrip("/") + "/webhooks/rest/webhook"
        self.record = ConversationRecord(sender_id=f"bench-{uuid.uuid4().hex[:16]}")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=turn_timeout))

    async def start(self) -> None:
        """Nothing to open: Rasa starts the conversation at its first message."""

    async def say(self, text: str) -> Turn:
        began = time.monotonic()
        try:
            async with self._session.post(
                self.url, json={"sender": self.record.sender_id, "message": text}
            ) as response:
                status = response.status
                body = await response.json() if status == 200 else None
            latency = time.monotonic() - began
            if status != 200:
                turn = Turn(text, ERROR, latency, code=f"http {status}")
            else:
                messages = [m for m in body or () if isinstance(m, dict)]
                replies = tuple(str(m.get("text") or "") for m in messages)
                turn = Turn(text, ANSWERED, latency, replies=replies)
        except TimeoutError:
            turn = Turn(text, TIMEOUT, code="timeout")
        except aiohttp.ClientError as exc:
            turn = Turn(text, ERROR, code=type(exc).__name__)
        self.record.turns.append(turn)
        return turn

    async def close(self) -> None:
        await self._session.close()


async def run_load(
    make_chat: Callable[[int], Chat],
    scripts: Callable[[int], Sequence[str]],
    *,
    concurrency: int,
    conversations: int | None = None,
    duration: float | None = None,
    between_turns: Callable[[int, int], Awaitable[None]] | None = None,
) -> LoadReport:
    """Drive ``concurrency`` conversations at a time, each waiting for its reply (closed loop).

    Conversation ``n`` is ``make_chat(n)`` saying ``scripts(n)``. The run ends after
    ``conversations`` conversations or, when ``duration`` is given, once it has passed (the
    turns in flight finish; no new turn starts). ``between_turns(n, i)`` runs before turn
    ``i`` of conversation ``n``: a fault test kills a server there.
    """
    if conversations is None and duration is None:
        raise ValueError("bound the run: give conversations, duration or both")
    numbers = itertools.count() if conversations is None else iter(range(conversations))
    records: list[ConversationRecord] = []
    began = time.monotonic()
    stop_at = began + duration if duration is not None else float("inf")

    async def worker() -> None:
        for n in numbers:
            if time.monotonic() >= stop_at:
                return
            chat = make_chat(n)
            records.append(chat.record)
            try:
                await _converse(chat, n, scripts(n), stop_at, between_turns)
            finally:
                await chat.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadReport(records, time.monotonic() - began)


async def _converse(
    chat: Chat,
    n: int,
    script: Sequence[str],
    stop_at: float,
    between_turns: Callable[[int, int], Awaitable[None]] | None,
) -> None:
    try:
        await chat.start()
    except (aiohttp.ClientError, ConnectionError, OSError, RuntimeError) as exc:
        chat.record.start_error = f"{type(exc).__name__}: {exc}"
    if chat.record.start_error:
        return
    for i, text in enumerate(script):
        if time.monotonic() >= stop_at:
            return
        if between_turns is not None:
            await between_turns(n, i)
        turn = await chat.say(text)
        if turn.code == "offline":
            return  # the page would show "start a new chat"; so does this conversation
