"""The console's broker consumer against a real RabbitMQ, events published as Rasa publishes them.

Rasa's ``PikaEventBroker`` sends each tracker event as persistent JSON to the fanout
exchange ``rasa-exchange``; the tests here publish exactly that themselves, so the
consumer and the live feed are tested without a Rasa server (tests/engines/test_broker.py
runs the real one).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from concierge.engines import RABBIT_BINARY, RabbitServer, missing_engines
from concierge.rasa_endpoints import BROKER_EXCHANGE
from concierge.settings import Settings
from console.app import create_app
from console.live.consumer import BrokerConsumer
from console.live.feed import LiveFeed
from tests.console.conftest import COOKIE_SECRET, make_settings
from tests.console.staff_helpers import add_account, sign_in

pytestmark = [
    pytest.mark.engines,
    pytest.mark.skipif(
        RABBIT_BINARY in missing_engines(),
        reason="rabbitmq-server is not installed (bash scripts/setup.sh --engines)",
    ),
]


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitServer]:
    with RabbitServer(tmp_path_factory.mktemp("rabbit")) as server:
        yield server


class RasaLikePublisher:
    """Publishes tracker events the way Rasa's PikaEventBroker does."""

    def __init__(self, connection: aio_pika.abc.AbstractConnection) -> None:
        self._connection = connection
        self._exchange: aio_pika.abc.AbstractExchange | None = None

    async def event(self, sender_id: str, event: str, **fields: Any) -> None:
        if self._exchange is None:
            channel = await self._connection.channel()
            self._exchange = await channel.declare_exchange(
                BROKER_EXCHANGE, aio_pika.ExchangeType.FANOUT
            )
        body = {"sender_id": sender_id, "event": event, "timestamp": time.time(), **fields}
        message = aio_pika.Message(
            json.dumps(body).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
        )
        await self._exchange.publish(message, routing_key="")

    async def turn(self, sender_id: str, *, new: bool = False, handoff: bool = False) -> None:
        """One customer turn's events: a session start if new, the message, the answer."""
        if new:
            await self.event(sender_id, "action", name="action_session_start")
            await self.event(sender_id, "session_started")
        await self.event(sender_id, "user", text="hello", parse_data={"intent": {}})
        await self.event(sender_id, "action", name="action_handoff" if handoff else "utter_x")
        await self.event(sender_id, "bot", text="hi")


@pytest_asyncio.fixture
async def publisher(rabbit: RabbitServer) -> AsyncIterator[RasaLikePublisher]:
    connection = await aio_pika.connect(rabbit.url)
    try:
        yield RasaLikePublisher(connection)
    finally:
        await connection.close()


async def until(check: Any, timeout: float = 15.0) -> None:
    """Wait until ``check()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def running_consumer(url: str, instance: str) -> tuple[BrokerConsumer, LiveFeed]:
    feed = LiveFeed()
    consumer = BrokerConsumer(url, feed, instance=instance, retry_seconds=0.5)
    consumer.start()
    await until(lambda: feed.connected)
    return consumer, feed


async def test_every_console_instance_sees_every_event(
    rabbit: RabbitServer, publisher: RasaLikePublisher
) -> None:
    first, first_feed = await running_consumer(rabbit.url, "c1")
    second, second_feed = await running_consumer(rabbit.url, "c2")
    since = time.time()
    try:
        await publisher.turn("web-anna", new=True)
        await publisher.turn("web-ben", new=True, handoff=True)
        await until(lambda: first_feed.received >= 10 and second_feed.received >= 10)
    finally:
        await first.stop()
        await second.stop()

    for feed in (first_feed, second_feed):
        summary = feed.summary(since)
        assert summary.complete is False  # stopped: no longer whole
        assert summary.conversation_senders == ("web-anna", "web-ben")
        assert summary.handoff_senders == ("web-ben",)
        assert feed.received == 10
    assert first.queue_name != second.queue_name
    assert "concierge-console-c1-" in first.queue_name


async def test_console_queues_go_away_with_the_console_and_leave_rasas_queue_alone(
    rabbit: RabbitServer,
) -> None:
    consumer, _ = await running_consumer(rabbit.url, "gone")
    listed = await asyncio.to_thread(rabbit.ctl, "list_queues", "name", "exclusive")
    await consumer.stop()
    after = await asyncio.to_thread(rabbit.ctl, "list_queues", "name")

    assert f"{consumer.queue_name}\ttrue" in listed
    assert consumer.queue_name not in after


async def test_consumer_comes_back_after_rabbitmq_restarts_and_says_what_it_missed(
    tmp_path: Path,
) -> None:
    with RabbitServer(tmp_path / "rabbit") as server:
        consumer, feed = await running_consumer(server.url, "restart")
        try:
            before_outage = time.time()
            await asyncio.to_thread(server.stop)
            await until(lambda: not feed.connected)
            assert not feed.covers(before_outage)
            await asyncio.to_thread(server.start)
            await until(lambda: feed.connected, timeout=60)
            back = time.time()
            connection = await aio_pika.connect(server.url)
            try:
                await RasaLikePublisher(connection).turn("web-after", new=True)
                await until(lambda: feed.received >= 5)
            finally:
                await connection.close()
        finally:
            await consumer.stop()

    assert feed.covered_since is not None and feed.covered_since > before_outage
    assert feed.summary(back).conversation_senders == ("web-after",)
    # For a moment before the outage the consumer's record is not whole: the page asks the store.
    assert not feed.summary(before_outage).complete


async def test_console_started_while_rabbitmq_is_down_binds_once_it_is_up(
    tmp_path: Path,
) -> None:
    server = RabbitServer(tmp_path / "rabbit")
    feed = LiveFeed()
    consumer = BrokerConsumer(server.url, feed, instance="early", retry_seconds=0.5)
    consumer.start()
    try:
        await asyncio.sleep(1.0)
        assert not feed.connected
        await asyncio.to_thread(server.start)
        await until(lambda: feed.connected, timeout=30)
    finally:
        await consumer.stop()
        await asyncio.to_thread(server.stop)


@pytest_asyncio.fixture
async def broker_console(
    aiohttp_client: Any, tmp_path: Path, sessions: sessionmaker[Session], rabbit: RabbitServer
) -> TestClient:
    base = make_settings(tmp_path, rasa_port=1)
    settings = Settings(**{**base.__dict__, "broker_url": rabbit.url, "instance_name": "t"})
    client = await aiohttp_client(create_app(settings, cookie_secret=COOKIE_SECRET))
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(client, "sam@shop.example")
    return client


async def summary(client: TestClient, **query: str) -> dict[str, Any]:
    response = await client.get("/staff/live/summary", params=query)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_live_summary_comes_from_the_broker_and_a_waiting_page_learns_at_once(
    broker_console: TestClient, publisher: RasaLikePublisher
) -> None:
    since = time.time()
    first: dict[str, Any] = {}
    for _ in range(100):  # the consumer binds in the background after the app starts
        first = await summary(broker_console, since=str(since))
        if first["source"] == "broker":
            break
        await asyncio.sleep(0.1)
    since = time.time()
    empty = await summary(broker_console, since=str(since))

    started = time.monotonic()
    waiting = asyncio.create_task(summary(broker_console, since=str(since), wait="20", seen="0,0"))
    await asyncio.sleep(0.5)
    await publisher.turn("web-cleo", new=True, handoff=True)
    told = await asyncio.wait_for(waiting, 10)

    assert first["source"] == "broker" and first["broker"]["connected"] is True
    assert empty["new_conversations"] == 0 and empty["poll_ms"] == 0
    assert told["source"] == "broker" and time.monotonic() - started < 10
    assert told["new_conversations"] == 1 and told["conversation_senders"] == ["web-cleo"]
    # The same page's next question, now that it shows one conversation: the handoff follows.
    seen = f"{told['new_conversations']},{told['handoff_requests']}"
    wait = "20" if told["handoff_requests"] == 0 else "0"
    after = await summary(broker_console, since=str(since), wait=wait, seen=seen)
    assert after["handoff_senders"] == ["web-cleo"]


async def test_broker_console_answers_from_the_store_for_a_moment_before_it_was_bound(
    broker_console: TestClient, sessions: sessionmaker[Session]
) -> None:
    from store.session_history import SessionHistory

    long_ago = time.time() - 3600
    SessionHistory(sessions).start_session("web-earlier", None, "web")

    body = await summary(broker_console, since=str(long_ago))
    from_broker = await summary(broker_console, since=str(long_ago), source="broker")

    assert body["source"] == "store" and body["conversation_senders"] == ["web-earlier"]
    assert from_broker["source"] == "broker" and from_broker["complete"] is False
