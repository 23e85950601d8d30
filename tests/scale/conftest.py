"""One scaled stack for every load and fault test, and the checks they share.

Starting PostgreSQL, Redis, RabbitMQ, two Rasa servers (each loads the model), two action
servers (each loads the recommenders), two consoles and nginx takes minutes on two cores,
so the whole folder shares ONE :class:`concierge.scale.ScaledStack` (session scope); a
fault test brings back what it broke before it ends (:func:`heal`).

Customers are driven the way a browser drives them (tests/support/load_client.py): through
nginx's console address, a shop-signed identity, the chat page's CSRF cookie and the
WebSocket, each conversation from its own loopback address. Afterwards the tests read what
was kept where it is kept: Rasa's ``events`` table on PostgreSQL and the store's session
rows (``chat_sessions``, ``session_outcomes``).
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from actions.messages.conversation import STORE_UNREACHABLE
from benchmarks.load_stacks import shop_customers
from concierge.engines import missing_engines
from concierge.scale import ScaledStack
from concierge.settings import ROOT
from console.chat.wording import UNAVAILABLE_TEXT
from store.db import make_engine
from tests.conftest import TEST_MODEL
from tests.support.load_client import (
    ANSWERED,
    ERROR,
    ConsoleChat,
    ConversationRecord,
    LoadCustomer,
    LoadReport,
    Turn,
    conversation_script,
    loopback_address,
    run_load,
    tracker_problems,
)
from tests.support.servers import isolated_settings
from tests.support.tracker_store import tracker_events

ARTIFACTS = ROOT / "var" / "artifacts"
# Bounds: the stack's start, one turn, the time a service gets to come back after a fault.
START_TIMEOUT = 900.0
TURN_TIMEOUT = 90.0
HEAL_TIMEOUT = 300.0


def _channel_apology() -> str:
    """The concierge channel's reply to a turn that failed inside Rasa (bot/ runs in .venv-rasa,
    so its constant is read from the source rather than imported)."""
    source = (ROOT / "bot" / "channels" / "concierge_rest.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "NO_REPLY_APOLOGY" for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise AssertionError("bot/channels/concierge_rest.py no longer defines NO_REPLY_APOLOGY")


# Every way a customer is told "not now": Rasa failed the turn, the action server could not
# reach the store, the console could not reach Rasa (that one comes as an error frame).
APOLOGIES = (_channel_apology(), STORE_UNREACHABLE, UNAVAILABLE_TEXT)


def is_apology(turn: Turn) -> bool:
    """True when the customer was told politely that the turn could not be served."""
    if turn.outcome == ERROR and turn.code == "assistant_unavailable":
        return True
    return turn.outcome == ANSWERED and any(reply in APOLOGIES for reply in turn.replies)


@pytest.fixture(scope="session")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledStack]:
    """Two of every service behind nginx on real engines, data in a temporary folder."""
    missing = missing_engines()
    if missing:
        pytest.skip(
            f"engines not installed: {', '.join(missing)} (bash scripts/setup.sh --engines)"
        )
    if not TEST_MODEL.exists():
        pytest.skip(f"no trained model at {TEST_MODEL} (make train)")
    if not (ARTIFACTS / "search").exists():
        pytest.skip(f"no trained recommenders under {ARTIFACTS} (make data)")
    var_dir = tmp_path_factory.mktemp("scale")
    settings = replace(isolated_settings(var_dir), artifacts_dir=ARTIFACTS, demo=False)
    # The engines' data under /tmp itself, open to others: as root PostgreSQL runs as
    # `postgres`, which cannot enter pytest's owner-only folders.
    engines = Path(tempfile.mkdtemp(prefix="concierge-scale-"))
    engines.chmod(0o755)
    stack = ScaledStack(settings, n=2, root=engines, model_path=TEST_MODEL)
    began = time.monotonic()
    try:
        stack.start(timeout=START_TIMEOUT)
        print(f"\nscaled stack started in {time.monotonic() - began:.0f} s")
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(engines, ignore_errors=True)


@pytest.fixture(scope="session")
def customers(scaled: ScaledStack) -> list[LoadCustomer]:
    """Customers of the generated shop with a shop id and an order: who the load signs in."""
    return shop_customers(cluster_of(scaled).db_url, limit=200)


@pytest.fixture(scope="session")
def addresses() -> Iterator[int]:
    """Numbers of loopback client addresses, never reused within a run (per-address limits)."""
    return itertools.count(0)


def cluster_of(stack: ScaledStack) -> Any:
    assert stack.cluster is not None, "the scaled stack is not started"
    return stack.cluster


@dataclass
class Run:
    """A load run and when each of its turns was sent (to tell turns during a fault apart)."""

    report: LoadReport
    sent_at: dict[tuple[str, int], float] = field(default_factory=dict)
    chats: dict[int, ConsoleChat] = field(default_factory=dict)

    def turns_in_flight_between(self, start: float, end: float) -> list[Turn]:
        """Turns sent before ``end`` whose answer (or error) came after ``start``."""
        return [
            turn
            for record in self.report.conversations
            for i, turn in enumerate(record.turns)
            if (sent := self.sent_at.get((record.sender_id, i))) is not None
            and sent < end
            and (turn.latency is None or sent + turn.latency > start)
        ]

    def turns_sent_between(self, start: float, end: float) -> list[Turn]:
        return [
            turn
            for record in self.report.conversations
            for i, turn in enumerate(record.turns)
            if start <= self.sent_at.get((record.sender_id, i), -1.0) < end
        ]


def drive(
    stack: ScaledStack,
    customers: list[LoadCustomer],
    addresses: Iterator[int],
    *,
    conversations: int,
    turns: int,
    fault: Callable[[Run], Awaitable[None]] | None = None,
    pace: Callable[[Run, int, int], Awaitable[None]] | None = None,
) -> Run:
    """``conversations`` customers at once, ``turns`` turns each, through nginx's console.

    ``fault(run)`` runs alongside the load (it watches ``run`` to choose its moment);
    ``pace(run, n, i)`` runs before turn ``i`` of conversation ``n`` (an outage test holds
    a customer there, as a person waits after an apology, instead of spending her script).
    """
    first = next(addresses)
    for _ in range(conversations - 1):
        next(addresses)
    run = Run(LoadReport([], 0.0))
    secret = stack.front.identity_secret

    def make_chat(n: int) -> ConsoleChat:
        customer = customers[(first + n) % len(customers)]
        chat = ConsoleChat(
            stack.console_url,
            secret,
            customer,
            source_address=loopback_address(first + n),
            turn_timeout=TURN_TIMEOUT,
            reconnect_for=60.0,
        )
        run.chats[n] = chat
        return chat

    def script(n: int) -> list[str]:
        return conversation_script(customers[(first + n) % len(customers)].order_number, turns)

    async def note_time(n: int, i: int) -> None:
        if pace is not None:
            await pace(run, n, i)
        run.sent_at[(run.chats[n].record.sender_id, i)] = time.monotonic()

    async def both() -> None:
        load = run_load(
            make_chat,
            script,
            concurrency=conversations,
            conversations=conversations,
            between_turns=note_time,
        )
        if fault is None:
            run.report = await load
        else:
            run.report, _ = await asyncio.gather(load, fault(run))

    asyncio.run(both())
    return run


async def when_answered(run: Run, count: int, timeout: float = 600.0) -> None:
    """Wait until the run's conversations have ``count`` answered turns between them."""
    deadline = time.monotonic() + timeout
    while sum(chat.record.answered for chat in run.chats.values()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"the load never reached {count} answered turns")
        await asyncio.sleep(0.1)


def stored_problems(stack: ScaledStack, report: LoadReport) -> list[str]:
    """What Rasa's tracker store got wrong: a turn lost, duplicated or out of order.

    A turn answered with an apology was not served, so like an error it may be stored at
    most once; every turn served must be stored exactly once.
    """
    url = cluster_of(stack).tracker_db_url
    problems = []
    for record in report.conversations:
        if not record.sender_id:
            continue
        served = ConversationRecord(
            record.sender_id,
            [replace(t, outcome=ERROR) if is_apology(t) else t for t in record.turns],
        )
        events = tracker_events(url, record.sender_id)
        problems += [f"{record.sender_id}: {p}" for p in tracker_problems(served, events)]
    return problems


def failed_turns(turns: list[Turn]) -> list[str]:
    """The turns that were not served, with what the customer got."""
    return [
        f"{t.text!r}: {t.outcome} {t.code} {t.replies!r}"
        for t in turns
        if t.outcome != ANSWERED or is_apology(t)
    ]


def heal(stack: ScaledStack) -> None:
    """Bring back every engine and service a fault test stopped, and wait until all answer."""
    for engine in (stack.postgres, stack.redis, stack.rabbit):
        if not engine.running:
            engine.start()
    for name, service in stack.services().items():
        if service.process is None or service.process.poll() is not None:
            stack.restart(name, timeout=HEAL_TIMEOUT)
    deadline = time.monotonic() + HEAL_TIMEOUT
    while not all(service.is_healthy() for service in stack.services().values()):
        assert time.monotonic() < deadline, "the scaled stack did not come back after a fault"
        time.sleep(1.0)


# What the store must record for a served turn of the customer script, by the turn's
# position in load_client.CUSTOMER_SCRIPT: (outcome kind, ref), "{order}" her order.
SCRIPT_OUTCOMES = {
    2: ("order_looked_up", "{order}"),
    3: ("faq_answered", "shipping_costs"),
    4: ("faq_answered", "shipping_times"),
    5: ("faq_answered", "return_policy"),
    6: ("faq_answered", "warranty"),
    7: ("faq_answered", "payment_methods"),
    13: ("order_looked_up", "{order}"),
    # The number typed on its own right after that answer is looked up again (a rule).
    14: ("order_looked_up", "{order}"),
    15: ("faq_answered", "opening_hours"),
}


def session_problems(stack: ScaledStack, run: Run) -> list[str]:
    """What the store's session history got wrong for the run's conversations.

    Each conversation has one session row for its customer whose turn count and intents
    match what Rasa stored; each outcome the script causes is recorded once per served
    turn that causes it (a turn not served may have caused it at most once).
    """
    cluster = cluster_of(stack)
    engine = make_engine(cluster.db_url)
    problems = []
    try:
        with engine.connect() as conn:
            for chat in run.chats.values():
                record = chat.record
                if record.sender_id:
                    problems += [
                        f"{record.sender_id}: {p}"
                        for p in _one_session(conn, cluster.tracker_db_url, chat)
                    ]
    finally:
        engine.dispose()
    return problems


def _one_session(conn: Any, tracker_url: str, chat: ConsoleChat) -> list[str]:
    record, customer = chat.record, chat.customer
    rows = conn.execute(
        text(
            "SELECT s.id, s.turns, s.intents, c.external_ref FROM chat_sessions s "
            "LEFT JOIN customers c ON c.id = s.customer_id WHERE s.sender_id = :sender"
        ),
        {"sender": record.sender_id},
    ).all()
    if len(rows) != 1:
        return [f"{len(rows)} session rows, expected 1"]
    session_id, turns, intents, external_ref = rows[0]
    problems = []
    if external_ref != customer.external_id:
        problems.append(f"session of customer {external_ref}, expected {customer.external_id}")
    stored = [e for e in tracker_events(tracker_url, record.sender_id) if e["event"] == "user"]
    served = [t.outcome == ANSWERED and not is_apology(t) for t in record.turns]
    if served and served[-1] and turns != len(stored):
        problems.append(f"session counts {turns} turns, the tracker holds {len(stored)}")
    if len(intents or []) != turns:
        problems.append(f"{turns} turns but {len(intents or [])} intents")
    outcomes = Counter(
        (kind, ref)
        for kind, ref in conn.execute(
            text("SELECT kind, ref FROM session_outcomes WHERE session_id = :id"),
            {"id": session_id},
        ).all()
    )
    least: Counter[tuple[str, str]] = Counter()
    most: Counter[tuple[str, str]] = Counter()
    for i, was_served in enumerate(served):
        if i in SCRIPT_OUTCOMES:
            kind, ref = SCRIPT_OUTCOMES[i]
            key = (kind, ref.format(order=customer.order_number))
            most[key] += 1
            least[key] += was_served
    for key in most:
        if not least[key] <= outcomes[key] <= most[key]:
            problems.append(
                f"outcome {key} recorded {outcomes[key]} times, expected {least[key]}..{most[key]}"
            )
    return problems
