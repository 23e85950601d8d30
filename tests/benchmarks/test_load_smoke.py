"""The load driver and benchmark, run small against the session's real stack (tests/conftest.py).

What the load and fault tests of the scaled stack rely on is checked here on the embedded
one: every turn a conversation sent is counted once, answered, stored once and in order in
Rasa's tracker store under the sender id the console issued, linked to the customer the
shop signed for; and a socket whose console is killed is reopened and the chat goes on.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from benchmarks.load import format_row, measure
from benchmarks.load_long import LONG, NEW, format_long, run_long
from benchmarks.load_stacks import (
    Target,
    baseline_command,
    console_chat_factory,
    tracker_event_counter,
)
from concierge.stack import Stack
from store.db import make_engine, make_session_factory
from store.repository import ShopRepository
from tests.support.load_client import (
    ANSWERED,
    DROPPED,
    ConsoleChat,
    ConversationRecord,
    LoadCustomer,
    Turn,
    conversation_script,
    loopback_address,
    run_load,
    tracker_problems,
)
from tests.support.shop import Shop
from tests.support.tracker_store import tracker_events


@pytest.fixture(scope="module")
def repo(full_stack: tuple[Stack, Shop]) -> ShopRepository:
    return ShopRepository(make_session_factory(make_engine(full_stack[0].settings.db_url)))


@pytest.fixture(scope="module")
def customers(full_stack: tuple[Stack, Shop], repo: ShopRepository) -> list[LoadCustomer]:
    _, shop = full_stack
    found = []
    for customer_id, order in ((shop.anna_id, shop.anna_shipped), (shop.ben_id, shop.ben_order)):
        customer = repo.get_customer(customer_id)
        assert customer is not None and customer.external_ref
        found.append(LoadCustomer(customer.external_ref, order.number))
    return found


def _user_events(stack: Stack, record: ConversationRecord) -> list[dict[str, object]]:
    return tracker_events(stack.settings.tracker_db_url, record.sender_id)


def test_smoke_load_counts_every_turn_once_and_the_tracker_holds_them_in_order(
    full_stack: tuple[Stack, Shop], repo: ShopRepository, customers: list[LoadCustomer]
) -> None:
    stack, shop = full_stack
    settings = stack.settings
    target = Target(
        "embedded",
        console_chat_factory(settings.console_url, settings.identity_secret, customers),
        customers,
        lambda: [s.process.pid for s in stack.services.values() if s.process is not None],
    )

    row = asyncio.run(measure(target, concurrency=2, turns=3, duration=300, conversations=2))

    report = row.report
    assert [r.start_error for r in report.conversations] == ["", ""]
    assert report.answered == 6 == len(report.turns)
    assert (report.errors, report.reconnects) == (0, 0)
    senders = [r.sender_id for r in report.conversations]
    assert len(set(senders)) == 2 and all(s.startswith("web-") for s in senders)
    linked = {repo.customer_for_sender(s, "web").id for s in senders}  # type: ignore[union-attr]
    assert linked == {shop.anna_id, shop.ben_id}
    sent = {tuple(t.text for t in r.turns) for r in report.conversations}
    assert sent == {tuple(conversation_script(c.order_number, 3)) for c in customers}
    for record in report.conversations:
        assert tracker_problems(record, _user_events(stack, record)) == []
    p50, p99 = report.latency_percentile(50), report.latency_percentile(99)
    assert p50 is not None and p99 is not None and 0 < p50 <= p99
    assert row.cpu_seconds > 0  # the stack's processes, read from /proc, did the work
    assert format_row(row, None).startswith("| embedded | 2 | 2 | 6 |")


def test_long_mode_grows_conversations_then_alternates_them_with_new_ones(
    full_stack: tuple[Stack, Shop], customers: list[LoadCustomer]
) -> None:
    stack, _ = full_stack
    settings = stack.settings
    make_chat = console_chat_factory(settings.console_url, settings.identity_secret, customers)
    count, close = tracker_event_counter(settings.tracker_db_url)
    try:
        run = asyncio.run(
            run_long(
                make_chat,
                lambda n: customers[n % len(customers)].order_number,
                count,
                lambda: 0.0,
                conversations=2,
                events=30,
                new_turns=2,
                rounds=3,
            )
        )
        long_senders = [r.sender_id for r in run.long.records]
        grown = [count(s) for s in long_senders]
    finally:
        close()

    assert min(run.grown_events) >= 30 and run.growth_turns >= 2
    assert all(size > 30 for size in grown)  # the alternating rounds added to them
    long_report, new_report = run.long.report(), run.new.report()
    assert long_report.answered == 6 == len(long_report.turns)
    # Two new chats, renewed after two turns: four conversations, three turns each pair.
    assert new_report.answered == 6 == len(new_report.turns)
    assert len(new_report.conversations) == 4
    assert not set(long_senders) & {r.sender_id for r in new_report.conversations}
    table = format_long(run)
    assert f"| {LONG} | 2 |" in table and f"| {NEW} | 4 |" in table
    assert "long/new: p50 " in table


def test_a_killed_console_drops_the_socket_and_the_chat_goes_on_after_reconnecting(
    full_stack: tuple[Stack, Shop], customers: list[LoadCustomer]
) -> None:
    stack, _ = full_stack
    settings = stack.settings
    customer = customers[0]

    def make(n: int) -> ConsoleChat:
        return ConsoleChat(
            settings.console_url,
            settings.identity_secret,
            customer,
            source_address=loopback_address(100 + n),
            reconnect_for=120,
        )

    async def kill_console_before_third_turn(n: int, i: int) -> None:
        if i == 2:
            console = stack.services["console"].process
            assert console is not None
            os.killpg(console.pid, signal.SIGKILL)
            await asyncio.to_thread(stack.start_service, "console")

    report = asyncio.run(
        run_load(
            make,
            lambda n: conversation_script(customer.order_number, 5),
            concurrency=1,
            conversations=1,
            between_turns=kill_console_before_third_turn,
        )
    )

    (record,) = report.conversations
    assert record.reconnects == 1
    assert [t.outcome for t in record.turns] == [ANSWERED] * 5, record.turns
    assert tracker_problems(record, _user_events(stack, record)) == []


def test_tracker_check_catches_a_lost_a_repeated_and_a_reordered_turn() -> None:
    record = ConversationRecord(
        "web-x", [Turn("hi", ANSWERED), Turn("bye", ANSWERED), Turn("where", DROPPED)]
    )

    def user(*texts: str) -> list[dict[str, object]]:
        events: list[dict[str, object]] = [{"event": "user", "text": t} for t in texts]
        return [*events, {"event": "action"}]

    assert tracker_problems(record, user("hi", "bye")) == []
    assert tracker_problems(record, user("hi", "bye", "where")) == []
    assert tracker_problems(record, user("hi")) == ["answered turn 'bye' stored 0 times"]
    assert tracker_problems(record, user("hi", "bye", "bye")) == [
        "answered turn 'bye' stored 2 times"
    ]
    assert tracker_problems(record, user("hi", "bye", "where", "where")) == [
        "dropped turn 'where' stored 2 times"
    ]
    assert tracker_problems(record, user("bye", "hi"))[0].startswith("turns stored out of order")
    assert tracker_problems(record, user("hi", "bye", "psst")) == [
        "stored turns nobody sent: ['psst']"
    ]


def test_the_baseline_rasa_server_runs_without_its_http_api() -> None:
    """Rasa's HTTP API without a token lets any local process set any slot of any
    conversation: even the benchmark's throwaway baseline must not open it."""
    command = baseline_command(Path("model.tar.gz"), 5999)

    assert "--enable-api" not in command
    assert command[command.index("--interface") + 1] == "127.0.0.1"
