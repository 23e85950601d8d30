"""The scaled stack under the issue's load: 50 customers at once, 20 turns each.

Two Rasa servers, two action servers and two consoles behind nginx, on PostgreSQL, Redis and
RabbitMQ (conftest.scaled). Every customer chats through nginx's console address the way a
browser does; afterwards Rasa's events table on PostgreSQL must hold every turn of every
conversation exactly once and in order, and the store's session history must hold one
session per conversation, for the right customer, with every outcome the script causes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from concierge.engine_process import group_of
from concierge.scale import ScaledStack
from tests.scale.conftest import (
    drive,
    failed_turns,
    session_problems,
    stored_problems,
)
from tests.support.load_client import CUSTOMER_SCRIPT, LoadCustomer

pytestmark = [pytest.mark.scale, pytest.mark.engines]

CONVERSATIONS = 50
TURNS = len(CUSTOMER_SCRIPT)  # 20


# The stack's start (about 4 minutes on two cores) counts against the first test's time.
@pytest.mark.timeout(1800)
def test_fifty_customers_times_twenty_turns_are_all_answered_and_stored_exactly_once(
    scaled: ScaledStack, customers: list[LoadCustomer], addresses: Iterator[int]
) -> None:
    """50 concurrent conversations x 20 turns through the balancer: no turn gets an error or
    an apology, every tracker holds every turn once and in order, every session row and
    outcome is in the store, and both instances of every service took part."""
    before = {name: cpu_seconds(pid) for name, pid in scaled.pids().items()}
    began = time.monotonic()
    run = drive(scaled, customers, addresses, conversations=CONVERSATIONS, turns=TURNS)
    report = run.report
    p95 = report.latency_percentile(95) or 0.0
    print(
        f"\n{report.answered} turns answered in {report.elapsed:.0f} s "
        f"({report.turns_per_second:.1f} turns/s, p95 {p95:.2f} s); "
        f"load and its wait {time.monotonic() - began:.0f} s"
    )
    assert not [r.start_error for r in report.conversations if r.start_error]
    assert len(report.conversations) == CONVERSATIONS
    assert failed_turns(report.turns) == []
    assert report.answered == CONVERSATIONS * TURNS
    assert stored_problems(scaled, report) == []
    assert session_problems(scaled, run) == []
    assert_every_instance_worked(
        before, {name: cpu_seconds(pid) for name, pid in scaled.pids().items()}
    )


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds used so far by a service's process group (its own session:
    the action server's Sanic workers are children of the PID we started)."""
    total = 0
    for member in group_of(pid):
        try:
            stat = Path(f"/proc/{member}/stat").read_text()
        except OSError:
            continue  # ended while we looked
        total += sum(int(value) for value in stat.rsplit(")", 1)[1].split()[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def assert_every_instance_worked(before: dict[str, float], after: dict[str, float]) -> None:
    """Each instance of each service used CPU during the load: nginx spread the work (one
    idle instance would leave the test proving nothing about the other)."""
    idle = {name: after[name] - before[name] for name in before if after[name] - before[name] < 1}
    assert not idle, f"instances that did no work under load (CPU seconds): {idle}"
