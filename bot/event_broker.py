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


class DurablePikaEventBroker(PikaEventBroker):
    """``PikaEventBroker`` that keeps every event it could not hand over and retries it."""

    _flusher: asyncio.Task[None] | None = None

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
