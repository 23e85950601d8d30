"""Events Rasa's RabbitMQ broker could not hand over are kept for the reconnect, not dropped."""

from __future__ import annotations

import asyncio

from bot.event_broker import DurablePikaEventBroker


def test_an_event_published_before_the_connection_is_up_is_kept_for_later() -> None:
    async def publish_unconnected() -> DurablePikaEventBroker:
        broker = DurablePikaEventBroker("127.0.0.1", "guest", "guest", queues=["q"])
        await broker._publish({"event": "user", "sender_id": "web-1", "text": "hi"})
        return broker

    broker = asyncio.run(publish_unconnected())

    # Rasa's PikaEventBroker returns without a trace here; the reconnect callback
    # (_publish_unpublished_messages) sends what is kept.
    assert list(broker._unpublished_events) == [
        {"event": "user", "sender_id": "web-1", "text": "hi"}
    ]
