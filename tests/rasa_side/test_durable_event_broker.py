"""Events Rasa's RabbitMQ broker could not hand over are kept for the reconnect, not dropped."""

from __future__ import annotations

import asyncio
import json
from typing import Any

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


class _Exchange:
    """An exchange whose publishes fail at once, never confirm, or go through, by event text.

    It stands in for RabbitMQ's timing during an outage (tests/engines/test_broker.py runs
    the same outage against a real RabbitMQ); what the broker does with the answers is real.
    """

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.behaviour: dict[str, str] = {}

    async def publish(self, message: Any, routing_key: str) -> None:
        body = json.loads(message.body)
        what = self.behaviour.get(body.get("text", ""), "ok")
        if what == "fail":
            raise ConnectionError("connection closed")
        if what == "hang":
            await asyncio.Event().wait()  # a confirm that never comes
        self.sent.append(body)


def test_kept_events_go_out_in_the_order_they_were_published(monkeypatch) -> None:
    """During an outage the first event waits for a confirm that never comes and the second
    fails at once; the third is published while they wait. Once RabbitMQ answers again, all
    three arrive in the order Rasa published them, without the broker's own bookkeeping."""
    from bot import event_broker

    monkeypatch.setattr(event_broker, "PUBLISH_TIMEOUT_SECONDS", 0.2)

    async def outage_then_back() -> tuple[list[dict[str, Any]], list[str]]:
        broker = DurablePikaEventBroker("127.0.0.1", "guest", "guest", queues=["q"])
        exchange = _Exchange()
        exchange.behaviour = {"one": "hang", "two": "fail"}
        broker._exchange = exchange
        broker.publish({"event": "user", "text": "one"})
        broker.publish({"event": "user", "text": "two"})
        await asyncio.sleep(0.05)  # "two" has failed and is kept; "one" still waits
        broker.publish({"event": "user", "text": "three"})
        broker._publish_unpublished_messages()  # too early: "one" may still come back
        early = [body["text"] for body in exchange.sent]
        await asyncio.sleep(0.3)  # "one" gave up waiting and is kept again
        exchange.behaviour = {}
        broker._publish_unpublished_messages()
        await asyncio.sleep(0.05)
        return exchange.sent, early

    sent, early = asyncio.run(outage_then_back())

    assert early == []
    assert [body["text"] for body in sent] == ["one", "two", "three"]
    assert all(event_broker.SEQUENCE_KEY not in body for body in sent)
