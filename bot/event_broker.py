"""Rasa's RabbitMQ event broker, made to keep every event it could not hand to RabbitMQ.

Rasa 3.6's ``PikaEventBroker`` keeps an event whose publish failed and publishes it again
when its robust connection comes back, but only when the failure is an ``Exception``. A
publish still waiting for RabbitMQ's confirm when the connection closes (RabbitMQ stopping)
may instead be cancelled (``asyncio.CancelledError`` is not an ``Exception``) or never be
answered, and Rasa retries kept events only once, the moment its connection is restored,
when the channel may not be ready yet. The scaled fault test lost a fifth of the events
of the seconds before a RabbitMQ stop. An event published before the first connection was
up was dropped too. This broker keeps all of them and retries them every two seconds
while the connection is up.

Kept events go out in the order Rasa published them. During an outage some publishes fail at
once while others wait up to ``PUBLISH_TIMEOUT_SECONDS`` for a confirm, so they come back in
line out of order; and a new event published while older ones wait would overtake them.
So each event carries its place in line (stripped from the message), an event published
while others wait joins the line, and the line is sent, sorted, only once no earlier publish
is still waiting for its confirm.

Kept events live in the Rasa process's memory until RabbitMQ is back: a Rasa server that
dies during the outage loses its copies (the tracker store, which is the record of every
conversation, still has the events). ``endpoints.yml`` names it as
``type: bot.event_broker.DurablePikaEventBroker`` (concierge/rasa_endpoints.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.brokers.pika import PikaEventBroker

logger = logging.getLogger(__name__)


# A publish that has had no confirm from RabbitMQ after this long is kept and sent again
# (RabbitMQ stopping can leave a confirm pending forever). At least once: a copy may arrive
# twice if the first was confirmed late.
PUBLISH_TIMEOUT_SECONDS = 10.0
# How often kept events are tried again while the connection is up (Rasa itself tries only
# once, the moment its connection is restored, when the channel may not be ready yet).
FLUSH_EVERY_SECONDS = 2.0


# The key under which an event carries its place in line (never sent to RabbitMQ).
SEQUENCE_KEY = "_concierge_sequence"


class DurablePikaEventBroker(PikaEventBroker):
    """``PikaEventBroker`` that keeps every event it could not hand over and retries it, in
    the order they were published."""

    _flusher: asyncio.Task[None] | None = None
    _sequence = 0

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._sequence += 1
        event = {**event, SEQUENCE_KEY: self._sequence}
        if self._unpublished_events:
            # Earlier events wait: this one goes behind them, not past them.
            self._unpublished_events.append(event)
            return
        super().publish(event, headers)

    def _publish_unpublished_messages(self, *_: Any, **__: Any) -> None:
        """Send the kept events in the order they were published, once no earlier publish
        is still waiting for its confirm (it may yet come back in line)."""
        if any(not task.done() for task in self._background_tasks):
            return
        kept = sorted(self._unpublished_events, key=lambda event: event.get(SEQUENCE_KEY, 0))
        self._unpublished_events.clear()
        for event in kept:
            super().publish(event)

    def _message(self, event: dict[str, Any], headers: dict[str, str] | None) -> Any:
        return super()._message(
            {key: value for key, value in event.items() if key != SEQUENCE_KEY}, headers
        )

    async def connect(self) -> None:
        await super().connect()
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_kept())

    async def _flush_kept(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY_SECONDS)
            if self._unpublished_events and self._exchange is not None and self.is_ready():
                logger.info("Publishing %d kept events.", len(self._unpublished_events))
                self._publish_unpublished_messages()

    async def _publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        if self._exchange is None:
            self._keep(event, "not connected yet")
            return
        try:
            # Rasa's own _publish keeps an event whose publish raised an Exception.
            await asyncio.wait_for(super()._publish(event, headers), PUBLISH_TIMEOUT_SECONDS)
        except (asyncio.CancelledError, asyncio.TimeoutError):
            # The confirm this publish waited for was cancelled with the connection, or
            # never came; the event goes back in line. Not re-raised: this task is done.
            self._keep(event, "no confirm from RabbitMQ")

    def _keep(self, event: dict[str, Any], why: str) -> None:
        if self.should_keep_unpublished_messages:
            self._unpublished_events.append(event)
            logger.warning(
                "Event kept for later (%s); %d waiting.", why, len(self._unpublished_events)
            )

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await super().close()
