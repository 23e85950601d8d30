"""Rasa's event broker end to end: a real RabbitMQ, Rasa, action server and console.

With ``CONCIERGE_BROKER_URL`` set, Rasa's ``PikaEventBroker`` publishes every tracker event
to the fanout exchange ``rasa-exchange``: into the durable queue ``concierge_events`` (the
shop's downstream systems) and into each console's own queue (its live feed). This module
checks that a turn's events arrive exactly once and in order, that the staff pages' feed
shows the new conversation from them, and what happens while RabbitMQ is down:

- conversations go on: Rasa publishes from background tasks, a failed publish is kept in
  the broker's memory (``should_keep_unpublished_messages``, concierge/rasa_endpoints.py)
  and the turn is answered;
- when RabbitMQ is back, Rasa's robust connection first re-declares the exchange and its
  durable queue, then re-publishes what it kept: every event of the outage reaches
  ``concierge_events``, once;
- a console's queue gets them too if it was bound again before Rasa re-published (the
  console reconnects every second, Rasa every five). For a moment before its rebinding a
  console does not trust its own record and its feed reads the shop database instead.
- What Rasa kept is in that process's memory only: a Rasa server killed during the outage
  takes its kept events with it. The tracker store has every event whatever happens to
  the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import aio_pika
import aiohttp
import pytest
import pytest_asyncio

from concierge.engines import RABBIT_BINARY, EngineError, RabbitServer, missing_engines
from concierge.rasa_endpoints import BROKER_EXCHANGE, BROKER_QUEUE, endpoints_path
from concierge.stack import MODEL_PATH, Stack
from console.chat.rasa_client import CHANNEL_SECRET_HEADER, WEBHOOK_PATH
from console.staff.accounts import StaffDirectory
from store.db import make_engine, make_session_factory
from tests.support.servers import isolated_settings, post_json
from tests.support.shop import fill_shop
from tests.support.tracker_store import tracker_events

pytestmark = [
    pytest.mark.engines,
    pytest.mark.integration,
    pytest.mark.skipif(
        RABBIT_BINARY in missing_engines(),
        reason="rabbitmq-server is not installed (bash scripts/setup.sh --engines)",
    ),
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="no trained model (make train)"),
]

STAFF_EMAIL = "live@shop.example"
STAFF_PASSWORD = "correct horse battery staple"
CONSUMER_QUEUES = ("concierge-console-", "test-observer-")
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class BrokerStack:
    rabbit: RabbitServer
    stack: Stack

    def say(self, sender_id: str, text: str) -> list[dict[str, Any]]:
        """One customer turn through Rasa's concierge channel; Rasa's replies."""
        settings = self.stack.settings
        replies = post_json(
            settings.rasa_url + WEBHOOK_PATH,
            {"sender": sender_id, "message": text, "metadata": {"channel": "web"}},
            timeout=120,
            headers={CHANNEL_SECRET_HEADER: settings.channel_secret},
        )
        assert isinstance(replies, list)
        return replies

    def stored(self, sender_id: str) -> list[tuple[str, float]]:
        """(type, timestamp) of every event the tracker store holds for ``sender_id``."""
        events = tracker_events(self.stack.settings.tracker_db_url, sender_id)
        return [(e["event"], e["timestamp"]) for e in events]


@pytest.fixture(scope="module")
def broker_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerStack]:
    root = tmp_path_factory.mktemp("broker")
    with RabbitServer(root / "rabbit") as rabbit:
        settings = replace(isolated_settings(root / "var"), broker_url=rabbit.url)
        fill_shop(settings.var_dir)
        StaffDirectory(make_session_factory(make_engine(settings.db_url))).create_account(
            STAFF_EMAIL, STAFF_PASSWORD, ("agent",), display_name="Live", actor="tests"
        )
        stack = Stack(settings)
        stack.start(timeout=300)
        try:
            yield BrokerStack(rabbit, stack)
        finally:
            stack.stop()


@dataclass
class Observer:
    """A consumer on a queue of its own, as another console instance would bind one."""

    bodies: list[dict[str, Any]] = field(default_factory=list)

    def of(self, sender_id: str) -> list[tuple[str, float]]:
        return [(b["event"], b["timestamp"]) for b in self.bodies if b["sender_id"] == sender_id]


@pytest_asyncio.fixture
async def observer(broker_stack: BrokerStack) -> AsyncIterator[Observer]:
    seen = Observer()
    connection = await aio_pika.connect_robust(broker_stack.rabbit.url, reconnect_interval=1)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(BROKER_EXCHANGE, aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(
            f"test-observer-{uuid.uuid4().hex[:8]}", exclusive=True, auto_delete=True
        )
        await queue.bind(exchange, routing_key="")

        async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            seen.bodies.append(json.loads(message.body))

        await queue.consume(keep, no_ack=True)
        yield seen
    finally:
        await connection.close()


@pytest_asyncio.fixture
async def staff(broker_stack: BrokerStack) -> AsyncIterator[aiohttp.ClientSession]:
    """A staff member signed in to the console (cookies kept for its IP address)."""
    base = broker_stack.stack.settings.console_url
    async with aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get("/staff/sign-in") as page:
            found = _CSRF.search(await page.text())
        assert found
        fields = {"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": found[1]}
        async with http.post("/staff/sign-in", data=fields, allow_redirects=False) as signed:
            assert signed.status == 303, await signed.text()
        yield http


async def live(http: aiohttp.ClientSession, since: float, **query: str) -> dict[str, Any]:
    async with http.get("/staff/live/summary", params={"since": str(since), **query}) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.json()


async def until(check: Callable[[], Any], timeout: float, what: str) -> None:
    """Wait until ``check()`` (sync or async) is true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        await asyncio.sleep(0.2)


async def turn(broker_stack: BrokerStack, sender_id: str, text: str) -> list[dict[str, Any]]:
    return await asyncio.to_thread(broker_stack.say, sender_id, text)


async def test_a_turns_events_reach_the_consoles_once_in_order_and_the_feed_shows_it(
    broker_stack: BrokerStack, observer: Observer, staff: aiohttp.ClientSession
) -> None:
    since = time.time()
    before = (await live(staff, since))["broker"]["received"]
    sender = f"web-{uuid.uuid4().hex[:10]}"

    replies = await turn(broker_stack, sender, "hello")
    stored = broker_stack.stored(sender)
    await until(lambda: len(observer.of(sender)) >= len(stored), 30, "the turn's events")

    async def feed_shows_it() -> bool:
        return sender in (await live(staff, since))["conversation_senders"]

    await until(feed_shows_it, 30, "the console's feed to show the conversation")
    shown = await live(staff, since)

    assert replies, "the turn was not answered"
    assert {"user", "bot", "action", "session_started"} <= {kind for kind, _ in stored}
    assert observer.of(sender) == stored  # every stored event, once, in order
    assert shown["source"] == "broker" and shown["new_conversations"] >= 1
    assert shown["broker"]["received"] - before >= len(stored)


async def test_rabbitmq_down_conversations_go_on_and_kept_events_arrive_when_it_is_back(
    broker_stack: BrokerStack, observer: Observer, staff: aiohttp.ClientSession
) -> None:
    rabbit = broker_stack.rabbit
    before_outage = time.time()
    during = f"web-outage-{uuid.uuid4().hex[:8]}"

    await asyncio.to_thread(rabbit.stop)

    async def console_lost_it() -> bool:
        return not (await live(staff, before_outage))["broker"]["connected"]

    await until(console_lost_it, 30, "the console to notice RabbitMQ is gone")
    offline = await live(staff, before_outage)
    answers = [await turn(broker_stack, during, t) for t in ("hello", "talk to a person")]
    stored = broker_stack.stored(during)

    # Rasa is paused while RabbitMQ comes back, until the consoles' queues are bound again:
    # the usual order (consoles retry every second, Rasa every five) made certain.
    with paused(broker_stack.stack.services["rasa"].process):
        await asyncio.to_thread(rabbit.start)
        await until(lambda: _consumer_queues_back(rabbit), 60, "the consoles' queues again")
    # Kept events are published at least once (bot/event_broker.py: a copy whose confirm came
    # late is sent again), so a second copy is allowed; a missing or reordered one is not.
    try:
        await until(
            lambda: first_copies(observer.of(during)) == stored,
            90,
            "the kept events after RabbitMQ",
        )
    except AssertionError as timeout:
        missing = [e for e in stored if e not in observer.of(during)]
        raise AssertionError(
            f"{timeout}; stored {len(stored)}, observed {len(observer.of(during))}, "
            f"missing {missing}, observed in order {observer.of(during)}"
        ) from None

    async def console_feed_has_them() -> bool:
        body = await live(staff, before_outage, source="broker")
        return during in body["conversation_senders"] and during in body["handoff_senders"]

    await until(console_feed_has_them, 30, "the kept events in the console's feed")
    downstream = await asyncio.to_thread(_drain_durable_queue, rabbit.url, during)
    page = await live(staff, before_outage)
    # A page drawn after the console's queue was bound again is driven by the broker again.
    back, later = time.time(), f"web-later-{uuid.uuid4().hex[:8]}"
    await turn(broker_stack, later, "hello")

    async def feed_shows_later() -> bool:
        return later in (await live(staff, back))["conversation_senders"]

    await until(feed_shows_later, 30, "a conversation after the outage in the feed")
    recovered = await live(staff, back)

    assert all(answers), "a turn during the outage went unanswered"
    assert offline["source"] == "store" and during not in offline["conversation_senders"]
    assert ("session_started" in {kind for kind, _ in stored}) and len(stored) > 5
    # The shop's queue has every outage event, in order (a late-confirmed copy may come twice).
    assert first_copies(downstream) == stored
    # The page drawn before the outage is answered from the store: the console's record of
    # that time has a hole, but the store's rows are whole.
    assert page["source"] == "store" and during in page["handoff_senders"]
    assert recovered["source"] == "broker" and recovered["broker"]["connected"]


def first_copies(events: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Each event once, in the order its first copy arrived."""
    return list(dict.fromkeys(events))


@contextlib.contextmanager
def paused(process: subprocess.Popen | None) -> Iterator[None]:
    """Stop a service's process group (SIGSTOP) for the block, and let it go on after."""
    assert process is not None and process.poll() is None
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGCONT)


async def _consumer_queues_back(rabbit: RabbitServer) -> bool:
    """Whether the console's and the observer's queues are bound to the exchange again.

    Bound, not only declared: a robust connection declares its queue first and binds it
    after, and an event published in between never reaches that queue.
    """
    try:
        listed = await asyncio.to_thread(
            rabbit.ctl, "list_bindings", "source_name", "destination_name", timeout=30
        )
    except EngineError:
        return False  # still booting
    bound = {
        fields[1]
        for fields in (line.split("\t") for line in listed.splitlines())
        if len(fields) == 2 and fields[0] == BROKER_EXCHANGE
    }
    return sum(1 for queue in bound if queue.startswith(CONSUMER_QUEUES)) >= 2


async def test_rasa_killed_while_rabbitmq_is_down_loses_its_kept_events_but_not_the_store(
    broker_stack: BrokerStack, observer: Observer, staff: aiohttp.ClientSession
) -> None:
    rabbit, stack = broker_stack.rabbit, broker_stack.stack
    before_outage = time.time()
    lost, barrier = f"web-lost-{uuid.uuid4().hex[:8]}", f"web-barrier-{uuid.uuid4().hex[:8]}"

    await asyncio.to_thread(rabbit.stop)
    answered = await turn(broker_stack, lost, "talk to a person")
    stored = broker_stack.stored(lost)
    rasa = stack.services["rasa"].process
    assert rasa is not None
    os.killpg(rasa.pid, signal.SIGKILL)  # the kept events lived in this process only
    await asyncio.to_thread(rabbit.start)
    await asyncio.to_thread(stack.start_service, "rasa", 300)
    await turn(broker_stack, barrier, "hello")
    # The new Rasa's own events arrive; by then anything it could have re-sent would have.
    await until(lambda: len(observer.of(barrier)) >= 3, 60, "events of the restarted Rasa")
    downstream = await asyncio.to_thread(_drain_durable_queue, rabbit.url, lost)
    page = await live(staff, before_outage)

    assert answered and stored, "the turn during the outage was not answered and stored"
    assert observer.of(lost) == [] and downstream == []  # gone from the broker's path
    # What the broker lost, the tracker store and the shop database still have.
    assert page["source"] == "store" and lost in page["handoff_senders"]


def _drain_durable_queue(url: str, sender_id: str) -> list[tuple[str, float]]:
    """Read everything waiting in ``concierge_events``; the (type, time) of ``sender_id``'s."""

    async def drain() -> list[dict[str, Any]]:
        connection = await aio_pika.connect(url)
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(BROKER_QUEUE, durable=True)
            bodies = []
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                bodies.append(json.loads(message.body))
            return bodies
        finally:
            await connection.close()

    bodies = asyncio.run(drain())
    return [(b["event"], b["timestamp"]) for b in bodies if b["sender_id"] == sender_id]


def test_the_generated_endpoints_name_the_exchange_and_queue_the_console_uses(
    broker_stack: BrokerStack,
) -> None:
    text = endpoints_path(broker_stack.stack.settings).read_text()

    assert f"exchange_name: {BROKER_EXCHANGE}" in text and f"- {BROKER_QUEUE}" in text
