"""The console's RabbitMQ consumer: Rasa's tracker events, into this instance's live feed.

Rasa's ``PikaEventBroker`` publishes every tracker event to the fanout exchange
``rasa-exchange`` (concierge/rasa_endpoints.py). Each console instance declares a queue
of its own there, exclusive and deleted with its connection, so every instance sees
every event whichever Rasa server produced it. The durable queue ``concierge_events``
that Rasa binds to the same exchange is not read here: it keeps every event for the
shop's downstream systems (a data warehouse, a CRM), and a console that read it would
take events away from them and from the other consoles.

The connection is aio-pika's robust one: when RabbitMQ goes away it reconnects and
re-declares the queue, its binding and the consumer. The feed is told when the queue was
(re)bound, because events published while it did not exist are gone for this console
(they are still in Rasa's tracker store and, once RabbitMQ has them, in
``concierge_events``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from concierge.rasa_endpoints import BROKER_EXCHANGE
from concierge.settings import SettingsError

try:
    import aio_pika
    from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise SettingsError(
        "CONCIERGE_BROKER_URL is set but aio-pika is not installed: install the 'scale' "
        "extra (pip install -e '.[scale]') or unset CONCIERGE_BROKER_URL."
    ) from exc
from console.live.events import classify, parse_body
from console.live.feed import LiveFeed

log = logging.getLogger(__name__)

RETRY_SECONDS = 3.0
# aio-pika's default is 5 s, as is that of Rasa's broker client. A console that rebinds
# sooner than Rasa reconnects has its queue back before Rasa re-publishes the events it
# held during an outage, so those reach the live feed too (tests/engines/test_broker.py).
RECONNECT_SECONDS = 1.0


class BrokerConsumer:
    """Consumes Rasa's events into ``feed`` from start until stop, reconnecting as needed."""

    def __init__(
        self,
        url: str,
        feed: LiveFeed,
        *,
        instance: str = "main",
        exchange: str = BROKER_EXCHANGE,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._url = url
        self._feed = feed
        self._exchange = exchange
        self._retry_seconds = retry_seconds
        # Named, not server-named: aio-pika re-declares a queue by its name on reconnect,
        # and RabbitMQ refuses names starting with "amq." from clients.
        self.queue_name = f"concierge-console-{instance}-{uuid.uuid4().hex[:8]}"
        self._connection: AbstractRobustConnection | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect in the background: the console serves (from the store) until RabbitMQ answers."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop connecting and close the connection (the exclusive queue goes with it)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            await self._connection.close()
        self._feed.mark_lost()

    async def _run(self) -> None:
        while True:
            try:
                await self._connect()
                return  # from here aio-pika's robust connection reconnects by itself
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning(
                    "RabbitMQ not reachable for the live feed (%s); retrying in %.0fs",
                    type(exc).__name__,
                    self._retry_seconds,
                )
                await asyncio.sleep(self._retry_seconds)

    async def _connect(self) -> None:
        connection = await aio_pika.connect_robust(self._url, reconnect_interval=RECONNECT_SECONDS)
        try:
            channel = await connection.channel()
            # Declared exactly as Rasa declares it (fanout, not durable): whoever comes
            # first creates it, and a different declaration would be refused.
            exchange = await channel.declare_exchange(self._exchange, aio_pika.ExchangeType.FANOUT)
            queue = await channel.declare_queue(self.queue_name, exclusive=True, auto_delete=True)
            await queue.bind(exchange, routing_key="")
            await queue.consume(self._on_message, no_ack=True)
        except BaseException:
            await connection.close()
            raise
        connection.close_callbacks.add(self._on_lost)
        connection.reconnect_callbacks.add(self._on_reconnected)
        self._connection = connection
        self._feed.mark_bound()
        log.info("Live feed bound queue %s to exchange %s", self.queue_name, self._exchange)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        body = parse_body(message.body)
        self._feed.record(classify(body) if body is not None else None)

    def _on_lost(self, *_: Any) -> None:
        log.warning("Live feed lost RabbitMQ; the staff pages read the database until it is back")
        self._feed.mark_lost()

    def _on_reconnected(self, *_: Any) -> None:
        # aio-pika calls this after it re-declared the channel's queue, binding and consumer.
        log.info("Live feed reconnected to RabbitMQ; queue %s bound again", self.queue_name)
        self._feed.mark_bound()
