"""When PostgreSQL dies under the action server: an apology during the outage, service after.

The store's engines keep pooled connections; after a crash of the server every one of them
is dead. The customer whose turn needs the store while the server is down must be told
politely (``STORE_UNREACHABLE``), not get an error from the action server, and the first
turn after the server is back must be answered normally: the pool checks each connection
before use (``pool_pre_ping``) instead of failing a request on a dead one.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from actions.messages import STORE_UNREACHABLE
from actions.server import ACTION_TOKEN_HEADER
from concierge.postgres_server import PostgresServer
from store.db import make_engine, make_session_factory, upgrade
from tests.actions.trackers import DATA, load_domain
from tests.factories import add_customer, add_order
from tests.promotions.postgres import unavailable_reason
from tests.store.postgres_helpers import action_servers

pytestmark = pytest.mark.engines

# A refused connection fails at once; a turn must not hang while the server is down.
APOLOGY_WITHIN_S = 15.0


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    """A cluster this test may kill and restart; stopped by its data directory, then deleted."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"no PostgreSQL on this machine: {reason}")
    # /tmp itself: as root the server runs as `postgres`, who cannot enter pytest's folders.
    root = Path(tempfile.mkdtemp(prefix="concierge-pg-outage-"))
    server = PostgresServer(root, durable=False)
    try:
        with server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_pooled_engine_answers_the_first_query_after_a_crash_and_restart(
    postgres: PostgresServer,
) -> None:
    engine = make_engine(postgres.url)
    try:
        with engine.connect() as conn:  # the pool now holds a connection
            assert conn.execute(text("SELECT 1")).scalar() == 1
        postgres.kill()
        postgres.start()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 2")).scalar() == 2
    finally:
        engine.dispose()


def order_status_call(base: str, token: str, customer_id: int, number: str) -> tuple[int, Any]:
    """POST Rasa's call of ``action_order_status`` for the customer's order; (status, JSON)."""
    tracker = copy.deepcopy(json.loads((DATA / "order_status_tracker.json").read_text()))
    tracker["sender_id"] = f"web-outage-{customer_id}"
    tracker["slots"] |= {"customer_id": str(customer_id), "order_number": number}
    tracker["events"] = []
    payload = {
        "next_action": "action_order_status",
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "domain": load_domain(),
        "version": "3.6.21",
    }
    request = urllib.request.Request(
        f"{base}/webhook",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", ACTION_TOKEN_HEADER: token},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def texts(answer: Any) -> list[str]:
    return [r.get("text") or "" for r in answer["responses"]]


@pytest.mark.integration
def test_a_turn_during_a_postgres_crash_gets_an_apology_and_the_next_after_restart_an_answer(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    upgrade(postgres.url)
    engine = make_engine(postgres.url)
    sessions = make_session_factory(engine)
    anna = add_customer(sessions, email="anna.outage@example.com")
    order = add_order(sessions, customer_id=anna, status="shipped")
    engine.dispose()

    with action_servers(postgres.url, tmp_path, 1) as [(base, token)]:
        status, answer = order_status_call(base, token, anna, order.number)
        assert status == 200, answer
        assert texts(answer)[0].startswith(f"Order {order.number}")

        postgres.kill()
        started = time.monotonic()
        status, answer = order_status_call(base, token, anna, order.number)
        assert time.monotonic() - started < APOLOGY_WITHIN_S
        assert status == 200, answer
        assert texts(answer) == [STORE_UNREACHABLE]

        postgres.start()
        # The very first turn after the restart is served: no dead pooled connection fails it.
        status, answer = order_status_call(base, token, anna, order.number)
        assert status == 200, answer
        assert texts(answer)[0].startswith(f"Order {order.number}")
