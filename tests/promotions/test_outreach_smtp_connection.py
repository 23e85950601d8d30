"""A run's e-mail goes over one SMTP connection, reconnects when the relay drops it, and a
refused recipient does not spoil the others. A real aiosmtpd server counts the connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import add_customer
from tests.promotions.conftest import FakeClock
from tests.support.outreach import make_runner, outbox, proactive_campaign, save_campaign
from tests.support.servers import free_port
from tests.support.smtp import SmtpRecorder

NOON = datetime(2025, 6, 30, 12, 0)


@dataclass
class CountingRecorder(SmtpRecorder):
    """The test relay, also counting connections (by client address) and able to hang up."""

    peers: list[Any] = field(default_factory=list)
    hang_up_every: int = 0  # close the connection after every n-th accepted message

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if session.peer not in self.peers:
            self.peers.append(session.peer)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        if self.hang_up_every and len(self.messages) % self.hang_up_every == 0:
            # After the "250" has gone out, as a relay with a per-connection limit does.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return answer


@pytest.fixture
def smtp() -> Iterator[CountingRecorder]:
    recorder = CountingRecorder(port=free_port())
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


def _customers(sessions: sessionmaker[Session], n: int) -> list[str]:
    emails = [f"c{i}@example.com" for i in range(n)]
    for email in emails:
        add_customer(sessions, email=email, marketing_consent=True, email_opt_in=True)
    save_campaign(sessions, proactive_campaign())
    return emails


async def test_one_connection_carries_the_run_and_a_refused_address_spoils_nothing(
    sessions: sessionmaker[Session], smtp: CountingRecorder
) -> None:
    emails = _customers(sessions, 5)
    smtp.refuse.add(emails[2])
    runner = make_runner(sessions, smtp.port, FakeClock(NOON))

    report = await runner.run()

    assert sorted(m["To"] for m in smtp.messages) == sorted(set(emails) - {emails[2]})
    assert (report.sent, report.bounced) == (4, 1)
    assert len(smtp.peers) == 1
    assert runner.mailer.connections == 1
    assert [r.status for r in outbox(sessions)].count("bounced") == 1


async def test_a_relay_that_hangs_up_is_reconnected_to_and_nothing_goes_twice(
    sessions: sessionmaker[Session], smtp: CountingRecorder
) -> None:
    emails = _customers(sessions, 5)
    smtp.hang_up_every = 2
    runner = make_runner(sessions, smtp.port, FakeClock(NOON))

    report = await runner.run()

    assert sorted(m["To"] for m in smtp.messages) == sorted(emails)
    assert all(smtp.rcpt_asked[e] == 1 for e in emails)  # each offered once
    assert report.sent == 5
    assert len(smtp.peers) == 3  # messages 1-2, 3-4, 5
    assert runner.mailer.connections == 3


async def test_the_next_run_opens_a_fresh_connection(
    sessions: sessionmaker[Session], smtp: CountingRecorder
) -> None:
    _customers(sessions, 2)
    clock = FakeClock(NOON)
    runner = make_runner(sessions, smtp.port, clock)
    await runner.run()
    add_customer(sessions, email="late@example.com", marketing_consent=True, email_opt_in=True)

    await runner.run()

    assert [m["To"] for m in smtp.messages][-1] == "late@example.com"
    assert runner.mailer.connections == 2  # the first run's connection was closed at its end
