"""Rasa's RabbitMQ event broker, made to keep every event it could not hand to RabbitMQ.

Rasa 3.6's ``PikaEventBroker`` keeps an event whose publish failed and publishes it again
when its robust connection comes back, but only when the failure is an ``Exception``. A
publish still waiting for RabbitMQ's confirm when the connection closes (RabbitMQ stopping)
is cancelled instead: ``asyncio.CancelledError`` is not an ``Exception``, so such an event
was neither published nor kept (the scaled fault test lost a third of the events of the
two seconds before a RabbitMQ stop). An event published before the first connection was
up was dropped the same way. This broker keeps both and lets Rasa publish them later.

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


class DurablePikaEventBroker(PikaEventBroker):
    """``PikaEventBroker`` that keeps cancelled and too-early publishes for the reconnect."""

    async def _publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        if self._exchange is None:
            self._keep(event, "not connected yet")
            return
        try:
            await super()._publish(event, headers)
        except asyncio.CancelledError:
            # The confirm this publish waited for was cancelled with the connection; the
            # event goes back in line. Not re-raised: this task has done its job.
            self._keep(event, "connection closed before RabbitMQ confirmed it")

    def _keep(self, event: dict[str, Any], why: str) -> None:
        if self.should_keep_unpublished_messages:
            self._unpublished_events.append(event)
            logger.warning(
                "Event kept for later (%s); %d waiting.", why, len(self._unpublished_events)
            )
