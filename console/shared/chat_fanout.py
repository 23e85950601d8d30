"""Agent messages to a customer's chat on whichever console instance holds its socket.

Each instance keeps its own sockets (``console.chat.hub.ChatHub``) and, with Redis, also:

- **presence**: a sorted set per sender id whose members are the instances holding one of
  its sockets, scored by an expiry on Redis's clock. The instance refreshes it while the
  socket lives (every third of :data:`PRESENCE_TTL_SECONDS`), so the sockets of a killed
  instance stop counting on their own within that TTL.
- **fan-out**: a push publishes on one channel that every instance subscribes to. An
  instance holding a socket of that sender delivers it and acknowledges on a per-message
  list ("1" delivered, "0" its socket had just gone) that the publisher waits on briefly,
  so the agent still learns whether the customer saw the message.

Pub/sub delivers at most once: a message published while an instance is reconnecting is
not acknowledged, the agent is told it did not reach the chat, and it stays in the
handoff record either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import redis
import redis.asyncio

from console.shared.errors import PUSH_UNAVAILABLE_TEXT, PushUnavailable
from console.shared.redis_client import DEFAULT_NAMESPACE, redis_errors

log = logging.getLogger(__name__)

PRESENCE_TTL_SECONDS = 30.0
# How long a push waits for the instances that hold the customer's sockets to answer.
ACK_TIMEOUT_SECONDS = 1.0
# An acknowledgement list outlives any publisher still waiting on it.
_ACK_TTL_MS = 10_000
_RECONNECT_MIN_SECONDS = 0.2
_RECONNECT_MAX_SECONDS = 5.0

Deliver = Callable[[str, dict[str, Any]], Awaitable[bool]]

# KEYS: presence sets. ARGV: instance, TTL ms. Marks the instance present in each, on Redis's
# clock, and drops members whose time ran out (an instance that died holding a socket).
_PRESENT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, ARGV[2])
end
return #KEYS
"""

# KEYS: presence sets. Returns, per set, the instances present now.
_HOLDERS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local found = {}
for i, key in ipairs(KEYS) do
  found[i] = redis.call('ZRANGEBYSCORE', key, '(' .. now, '+inf')
end
return found
"""


class RedisChatFanout:
    """Presence and pub/sub delivery of agent messages between console instances."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        instance: str,
        namespace: str = DEFAULT_NAMESPACE,
        presence_ttl_seconds: float = PRESENCE_TTL_SECONDS,
        ack_timeout_seconds: float = ACK_TIMEOUT_SECONDS,
    ) -> None:
        self.instance = instance
        self._redis = client
        self._namespace = namespace
        self._channel = f"{namespace}:chat:push"
        self._ttl_ms = int(presence_ttl_seconds * 1000)
        self._ack_timeout = ack_timeout_seconds
        self._present = client.register_script(_PRESENT)
        self._holders = client.register_script(_HOLDERS)
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self._deliver: Deliver | None = None
        self._local_senders: Callable[[], Iterable[str]] = tuple

    async def start(self, deliver: Deliver, local_senders: Callable[[], Iterable[str]]) -> None:
        """Subscribe and keep this instance's presence fresh, until :meth:`stop`.

        Returns once subscribed (bounded), or at once when Redis is down: the listener
        keeps trying in the background and chats meanwhile work on this instance alone.
        """
        self._deliver = deliver
        self._local_senders = local_senders
        self._tasks = [
            asyncio.create_task(self._listen(), name=f"chat fan-out listener {self.instance}"),
            asyncio.create_task(self._keep_present(), name=f"chat presence {self.instance}"),
        ]
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=2.0)
        except TimeoutError:
            log.warning("chat fan-out of %s starts unsubscribed: Redis unavailable", self.instance)

    async def stop(self) -> None:
        """Stop listening, withdraw this instance's presence and close the client."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(PushUnavailable):  # else their presence runs out with its TTL
            await self.left(*self._local_senders())
        await self._redis.aclose()

    async def arrived(self, *sender_ids: str) -> None:
        """Say that this instance now holds a socket of each of ``sender_ids``."""
        if sender_ids:
            with redis_errors("marking chat presence", PUSH_UNAVAILABLE_TEXT, PushUnavailable):
                await self._present(
                    keys=[self._presence_key(s) for s in sender_ids],
                    args=[self.instance, self._ttl_ms],
                )

    async def left(self, *sender_ids: str) -> None:
        """Say that this instance holds no socket of ``sender_ids`` any more."""
        if sender_ids:
            with redis_errors("clearing chat presence", PUSH_UNAVAILABLE_TEXT, PushUnavailable):
                pipe = self._redis.pipeline(transaction=False)
                for sender_id in sender_ids:
                    pipe.zrem(self._presence_key(sender_id), self.instance)
                await pipe.execute()

    async def holders(self, sender_ids: list[str]) -> dict[str, set[str]]:
        """The instances that hold a live socket of each sender id."""
        if not sender_ids:
            return {}
        with redis_errors("reading chat presence", PUSH_UNAVAILABLE_TEXT, PushUnavailable):
            found = await self._holders(keys=[self._presence_key(s) for s in sender_ids])
        return {sender: set(instances) for sender, instances in zip(sender_ids, found, strict=True)}

    async def publish(self, sender_id: str, frame: dict[str, Any]) -> bool:
        """Deliver ``frame`` through the other instances; True when one of their sockets took it."""
        others = (await self.holders([sender_id]))[sender_id] - {self.instance}
        if not others:
            return False
        message_id = secrets.token_urlsafe(12)
        ack_key = f"{self._namespace}:chat:ack:{message_id}"
        payload = {"id": message_id, "origin": self.instance, "sender": sender_id, "frame": frame}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._ack_timeout
        with redis_errors("publishing an agent message", PUSH_UNAVAILABLE_TEXT, PushUnavailable):
            await self._redis.publish(self._channel, json.dumps(payload))
            for _ in others:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                answer = await self._redis.blpop([ack_key], timeout=remaining)
                if answer is None:
                    break
                if answer[1] == "1":
                    return True
        return False

    async def _listen(self) -> None:
        pause = _RECONNECT_MIN_SECONDS
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                pause = _RECONNECT_MIN_SECONDS
                # Presence may have expired while Redis was away: claim ours back at once.
                await self.arrived(*self._local_senders())
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        await self._on_message(message["data"])
            except (redis.RedisError, OSError, PushUnavailable) as exc:
                if self._subscribed.is_set():
                    log.warning("chat fan-out of %s lost Redis: %s", self.instance, exc)
                self._subscribed.clear()
                await asyncio.sleep(pause)
                pause = min(pause * 2, _RECONNECT_MAX_SECONDS)
            finally:
                await _quietly_close(pubsub)

    async def _on_message(self, data: str) -> None:
        try:
            payload = json.loads(data)
            sender_id, origin, frame = payload["sender"], payload["origin"], payload["frame"]
            ack_key = f"{self._namespace}:chat:ack:{payload['id']}"
        except (ValueError, KeyError, TypeError):
            log.warning("chat fan-out of %s ignored an unreadable message", self.instance)
            return
        if origin == self.instance or sender_id not in set(self._local_senders()):
            return
        assert self._deliver is not None  # set by start() before the listener runs
        delivered = await self._deliver(sender_id, frame)
        pipe = self._redis.pipeline(transaction=False)
        pipe.rpush(ack_key, "1" if delivered else "0")
        pipe.pexpire(ack_key, _ACK_TTL_MS)
        await pipe.execute()

    async def _keep_present(self) -> None:
        while True:
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                await self.arrived(*self._local_senders())
            except PushUnavailable as exc:
                log.info("chat presence of %s not refreshed: %s", self.instance, exc.__cause__)

    def _presence_key(self, sender_id: str) -> str:
        return f"{self._namespace}:chat:presence:{sender_id}"


async def _quietly_close(pubsub: redis.asyncio.client.PubSub) -> None:
    with contextlib.suppress(redis.RedisError, OSError):
        await pubsub.aclose()
