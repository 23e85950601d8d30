"""Faults during load on the scaled stack: what the customers see, and that nothing is lost.

Each test runs a small load (10 customers x 8 turns through nginx's console address), breaks
one part once the load is under way, and then reads Rasa's tracker store and the shop's
session history: every turn that was served is stored exactly once and in order, a turn
that was not served is stored at most once, and its outcomes are recorded accordingly.
What each fault does to the customers is in the test's name and docstring. The teardown
brings back what the test broke (conftest.heal), so the next test starts whole.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aio_pika
import pytest

from concierge.rasa_endpoints import BROKER_QUEUE, LOCK_LIFETIME_SECONDS
from concierge.scale import ScaledStack
from tests.scale.conftest import (
    HEAL_TIMEOUT,
    Run,
    drive,
    failed_turns,
    heal,
    is_apology,
    session_problems,
    stored_problems,
    when_answered,
)
from tests.support.load_client import ANSWERED, DROPPED, LoadCustomer

pytestmark = [pytest.mark.scale, pytest.mark.engines]

CONVERSATIONS, TURNS = 10, 8
# The fault strikes once this many turns were answered: every conversation is under way.
STRIKE_AT = 20
# How long an engine stays down in an outage test.
OUTAGE_SECONDS = 8.0
# After a service comes back (or the balancer notices one is gone), turns are served again
# within this long.
SETTLE_SECONDS = 3.0
# Rasa's RedisLockStore ticket lifetime (TICKET_LOCK_LIFETIME, set by rasa_env): a Rasa
# server killed mid-turn holds that conversation's lock until its ticket expires.
RASA_LOCK_LIFETIME = float(LOCK_LIFETIME_SECONDS)


@pytest.fixture
def stack(scaled: ScaledStack) -> Iterator[ScaledStack]:
    """The shared scaled stack, made whole again after the test whatever it broke."""
    began = time.monotonic()
    yield scaled
    heal(scaled)
    print(f"\ntest and heal took {time.monotonic() - began:.0f} s")


class Outage:
    """An engine down for a while during the load, and a pace that waits it out.

    During the outage each customer sends one turn (it gets the apology) and then waits
    until the engine is back, as a person does after "please try again in a moment".
    """

    def __init__(self, down: Callable[[], Any], up: Callable[[], Any]) -> None:
        self.down, self.up = down, up
        self.began = self.ended = 0.0
        self.over = asyncio.Event()

    async def strike(self, run: Run) -> None:
        await when_answered(run, STRIKE_AT)
        self.began = time.monotonic()
        await asyncio.to_thread(self.down)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(self.up)
        self.ended = time.monotonic()
        self.over.set()

    async def pace(self, run: Run, n: int, i: int) -> None:
        if not self.began or self.over.is_set():
            return
        sender = run.chats[n].record.sender_id
        if any(run.sent_at.get((sender, j), 0.0) >= self.began for j in range(i)):
            await asyncio.wait_for(self.over.wait(), HEAL_TIMEOUT)
            await asyncio.sleep(SETTLE_SECONDS)


def load_with(
    stack: ScaledStack,
    customers: list[LoadCustomer],
    addresses: Iterator[int],
    fault: Callable[[Run], Awaitable[None]],
    pace: Callable[[Run, int, int], Awaitable[None]] | None = None,
) -> Run:
    began = time.monotonic()
    run = drive(
        stack,
        customers,
        addresses,
        conversations=CONVERSATIONS,
        turns=TURNS,
        fault=fault,
        pace=pace,
    )
    report = run.report
    print(
        f"\n{len(report.conversations)} conversations, {report.answered} turns answered, "
        f"{report.errors} not, {report.reconnects} reconnects, "
        f"{time.monotonic() - began:.0f} s"
    )
    return run


def assert_nothing_lost(stack: ScaledStack, run: Run) -> None:
    assert not [r.start_error for r in run.report.conversations if r.start_error]
    assert stored_problems(stack, run.report) == []
    assert session_problems(stack, run) == []


def test_killing_one_rasa_server_moves_customers_to_the_other_without_losing_an_event(
    stack: ScaledStack, customers: list[LoadCustomer], addresses: Iterator[int]
) -> None:
    """kill -9 of rasa-1: turns it was serving fail with the console's apology; the next
    turns of every other customer are answered by rasa-2 at once. A customer whose turn died
    with rasa-1 waits until Rasa's Redis lock ticket of her conversation expires (25 s): her
    turns meanwhile get the apology, then she is served again. No event lost or doubled."""
    killed_at = 0.0

    async def kill(run: Run) -> None:
        nonlocal killed_at
        await when_answered(run, STRIKE_AT)
        killed_at = time.monotonic()
        await asyncio.to_thread(stack.kill, "rasa-1")

    run = load_with(stack, customers, addresses, kill)
    assert killed_at
    for record in run.report.conversations:
        sent = [run.sent_at[(record.sender_id, i)] for i in range(len(record.turns))]
        hit = any(
            turn.outcome != ANSWERED and when < killed_at
            for when, turn in zip(sent, record.turns, strict=True)
        )
        # Served again once her lock expired, or at once if rasa-1 held no turn of hers.
        back_at = killed_at + (RASA_LOCK_LIFETIME + SETTLE_SECONDS if hit else SETTLE_SECONDS)
        late = [t for when, t in zip(sent, record.turns, strict=True) if when >= back_at]
        assert not failed_turns(late), f"{record.sender_id} not served after the kill"
        assert record.turns[-1].outcome == ANSWERED, "the conversation did not go on"
        assert all(is_apology(t) for t in record.turns if t.outcome != ANSWERED)
    assert_nothing_lost(stack, run)


def test_killing_one_action_server_apologises_for_its_turns_and_serves_the_next_on_the_other(
    stack: ScaledStack, customers: list[LoadCustomer], addresses: Iterator[int]
) -> None:
    """kill -9 of actions-1: a turn whose action was running there gets the channel's
    apology; nginx sends every later action call to actions-2, so every turn sent after the
    kill is served. No event lost or doubled, every outcome recorded once."""
    killed_at = 0.0

    async def kill(run: Run) -> None:
        nonlocal killed_at
        await when_answered(run, STRIKE_AT)
        killed_at = time.monotonic()
        await asyncio.to_thread(stack.kill, "actions-1")

    run = load_with(stack, customers, addresses, kill)
    assert killed_at
    assert not failed_turns(run.turns_sent_between(killed_at + SETTLE_SECONDS, float("inf")))
    assert all(is_apology(t) for t in run.report.turns if t.outcome != ANSWERED)
    assert_nothing_lost(stack, run)


def test_killing_one_console_reconnects_its_customers_to_the_other_and_the_chat_goes_on(
    stack: ScaledStack, customers: list[LoadCustomer], addresses: Iterator[int]
) -> None:
    """kill -9 of console-1: the sockets it held drop (the turn in flight has an unknown
    fate, stored at most once); each page reconnects through nginx to console-2 with the same
    chat cookie and the conversation goes on from where it was."""
    killed_at = 0.0

    async def kill(run: Run) -> None:
        nonlocal killed_at
        await when_answered(run, STRIKE_AT)
        killed_at = time.monotonic()
        await asyncio.to_thread(stack.kill, "console-1")

    run = load_with(stack, customers, addresses, kill)
    assert killed_at
    assert run.report.reconnects >= 1, "no socket was on console-1: the fault proved nothing"
    for record in run.report.conversations:
        assert record.turns[-1].outcome == ANSWERED, f"{record.sender_id} did not go on"
        assert all(t.outcome in (ANSWERED, DROPPED) or is_apology(t) for t in record.turns)
    assert not failed_turns(run.turns_sent_between(killed_at + SETTLE_SECONDS, float("inf")))
    assert_nothing_lost(stack, run)


def test_postgresql_restart_apologises_during_the_outage_then_serves_every_turn(
    stack: ScaledStack, customers: list[LoadCustomer], addresses: Iterator[int]
) -> None:
    """PostgreSQL stopped for 8 s and started again: turns in flight during the outage wait
    for it (bot/tracker_store.py retries for 10 s) or get a polite apology (the channel refuses a
    turn it could not store; the action's when the store is unreachable), never a timeout;
    every turn sent after it is served; every answered turn is in PostgreSQL exactly once
    and in order. (Rasa 3.6's own FailSafeTrackerStore would have kept turns of the outage
    in memory only, answered but lost.)"""
    outage = Outage(stack.postgres.stop, stack.postgres.start)
    run = load_with(stack, customers, addresses, outage.strike, outage.pace)
    # A turn in flight when PostgreSQL stops may wait for it and be served once it is back.
    during = run.turns_in_flight_between(outage.began, outage.ended)
    sent = sorted(round(when - outage.began, 1) for when in run.sent_at.values())
    assert during, (
        f"no turn was in flight during the outage ({outage.ended - outage.began:.1f} s long; "
        f"turns sent at {sent} s from its start): the fault proved nothing"
    )
    assert all(t.outcome == ANSWERED or is_apology(t) for t in during), failed_turns(during)
    assert not failed_turns(run.turns_sent_between(outage.ended + SETTLE_SECONDS, float("inf")))
    assert not [r.start_error for r in run.report.conversations if r.start_error]
    assert stored_problems(stack, run.report) == []
    assert session_problems(stack, run) == []


def test_redis_down_fails_turns_with_the_apology_and_serves_them_again_once_it_is_back(
    stack: ScaledStack, customers: list[LoadCustomer], addresses: Iterator[int]
) -> None:
    """Redis killed for 8 s: Rasa's RedisLockStore cannot take the conversation's lock, so
    Rasa refuses the turn before reading the tracker and the channel answers with its
    apology (nothing stored for that turn); open chats stay connected to their console.
    Redis comes back with its append-only file, and with it the lock tickets of turns that
    were in flight at the kill: those conversations wait until the tickets expire (Rasa's
    60 s lock lifetime, longer than the console's 30 s wait for Rasa, so a turn meanwhile gets
    the console's apology). Every other turn after the outage is served at once, every turn
    once the tickets expired, and nothing is lost or doubled."""
    outage = Outage(stack.redis.kill, stack.redis.start)
    run = load_with(stack, customers, addresses, outage.strike, outage.pace)
    during = run.turns_sent_between(outage.began, outage.ended)
    assert during, "no turn was sent during the outage: the fault proved nothing"
    assert all(is_apology(t) for t in during), failed_turns(during)
    after = run.turns_sent_between(outage.ended, float("inf"))
    assert all(t.outcome == ANSWERED or is_apology(t) for t in after), failed_turns(after)
    unlocked = outage.began + RASA_LOCK_LIFETIME + SETTLE_SECONDS
    assert not failed_turns(run.turns_sent_between(unlocked, float("inf")))
    for record in run.report.conversations:
        assert record.turns[-1].outcome == ANSWERED, f"{record.sender_id} did not go on"
    assert_nothing_lost(stack, run)


async def _drain(url: str, queue_name: str) -> list[dict[str, Any]]:
    """Take every message waiting in a RabbitMQ queue (their JSON bodies)."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        bodies = []
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
        return bodies
    finally:
        await connection.close()


def test_rabbitmq_down_keeps_conversations_going_and_rasa_publishes_the_kept_events_later(
    stack: ScaledStack, customers: list[LoadCustomer], addresses: Iterator[int]
) -> None:
    """RabbitMQ stopped for 8 s: every turn is still served (Rasa's tracker store is
    PostgreSQL; the broker only receives copies). Rasa's PikaEventBroker keeps the events it
    could not publish in memory and publishes them when its robust connection is back, so
    every user event of a turn sent while RabbitMQ was down reaches the durable queue
    concierge_events (kept in memory only: lost if that Rasa server dies meanwhile),
    including those whose publish was cut off by the stop (bot/event_broker.py)."""
    url = stack.rabbit.url
    asyncio.run(_drain(url, BROKER_QUEUE))  # earlier tests' events
    outage = Outage(stack.rabbit.stop, stack.rabbit.start)
    run = load_with(stack, customers, addresses, outage.strike)
    during = run.turns_sent_between(outage.began, outage.ended)
    assert during, "no turn was sent during the outage: the fault proved nothing"
    assert not failed_turns(run.report.turns)
    assert_nothing_lost(stack, run)

    expected = {(r.sender_id, t.text) for r in run.report.conversations for t in r.turns}
    published: set[tuple[str, str]] = set()
    deadline = time.monotonic() + 60.0
    while not expected <= published and time.monotonic() < deadline:
        for body in asyncio.run(_drain(url, BROKER_QUEUE)):
            if body.get("event") == "user":
                published.add((str(body.get("sender_id")), str(body.get("text"))))
        time.sleep(2.0)
    missing = sorted(expected - published)
    # bot/event_broker.py keeps what Rasa's broker would have dropped (publishes cancelled
    # by the closing connection): every user event reaches the durable queue.
    assert not missing, (
        f"{len(missing)} of {len(expected)} user events never arrived: {missing[:5]}"
    )
