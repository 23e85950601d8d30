"""Outreach runs end to end: a real SQLite shop, the real decision, a real local SMTP server."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from promotions.outreach_links import UnsubscribeSigner
from promotions.outreach_outbox import STUCK_ERROR
from tests.factories import add_customer
from tests.promotions.conftest import FakeClock
from tests.support.outreach import (
    CONSOLE_SECRET,
    SENDER,
    exposures,
    make_runner,
    outbox,
    proactive_campaign,
    save_campaign,
)
from tests.support.servers import free_port
from tests.support.smtp import SmtpRecorder

NOON = datetime(2025, 6, 30, 12, 0)


def _reachable(sessions: sessionmaker[Session], email: str, **fields: object) -> int:
    return add_customer(sessions, email=email, marketing_consent=True, email_opt_in=True, **fields)  # type: ignore[arg-type]


async def test_run_emails_exactly_the_eligible_consenting_opted_in_customers(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = _reachable(sessions, "anna@example.com", first_name="Anna")
    _reachable(sessions, "pierre@example.com", country="France")  # not eligible
    add_customer(sessions, email="no-opt-in@example.com", marketing_consent=True)
    add_customer(sessions, email="no-consent@example.com", email_opt_in=True)
    _reachable(sessions, "opted-out@example.com", offers_opt_out=True)
    save_campaign(sessions, proactive_campaign(eligibility='country == "United Kingdom"'))

    report = await make_runner(sessions, smtp.port, FakeClock(NOON)).run()

    assert [m["To"] for m in smtp.messages] == ["anna@example.com"]
    assert (report.queued, report.sent, report.bounced) == (1, 1, 0)
    assert report.skipped["no marketing consent"] == 1
    assert report.skipped["not opted in to e-mail"] == 1
    assert report.skipped["opted out of offers"] == 1
    assert report.skipped["no_campaign"] == 1  # France: the campaign's rule says no
    message = smtp.messages[0]
    assert message["From"] == SENDER
    assert message["Subject"] == "A little something for you, Anna"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    # Raw on the wire, not an encoded word: mail clients must be able to read the URL.
    assert f"List-Unsubscribe: <{link}>".encode() in smtp.raw[0]
    token = link.removeprefix("http://127.0.0.1:8080/unsubscribe/")
    found = UnsubscribeSigner(CONSOLE_SECRET).verify(token)
    assert found is not None and (found.customer_id, found.campaign_key) == (anna, "winback")
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None  # both parts are there
    text, html = plain.get_content(), rich.get_content()
    assert "Hi Anna, take 10% off!" in text and link in text
    assert "<p>Hi Anna, take 10% off!</p>" in html and f'href="{link}"' in html
    assert [(r.customer_id, r.status, r.attempts) for r in outbox(sessions)] == [(anna, "sent", 1)]
    assert exposures(sessions) == [(anna, "variant", "outreach")]


async def test_second_run_the_same_day_sends_nothing_again(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    _reachable(sessions, "anna@example.com")
    # Caps that would allow more: the outbox's idempotency key alone stops the repeat.
    save_campaign(sessions, proactive_campaign(), per_day=5, per_week=10)
    clock = FakeClock(NOON)
    runner = make_runner(sessions, smtp.port, clock)

    await runner.run()
    clock.advance(hours=2)
    second = await runner.run()

    assert len(smtp.messages) == 1
    assert second.sent == 0 and second.skipped["already queued today"] == 1
    assert len(outbox(sessions)) == 1 and len(exposures(sessions)) == 1


async def test_a_crash_between_sending_and_recording_never_sends_twice(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = _reachable(sessions, "anna@example.com")
    save_campaign(sessions, proactive_campaign(), per_day=5, per_week=10)
    clock = FakeClock(NOON)

    def power_cut(_pending: object) -> None:
        raise RuntimeError("power cut after the relay took the message")

    with pytest.raises(RuntimeError, match="power cut"):
        await make_runner(sessions, smtp.port, clock, after_send=power_cut).run()
    assert len(smtp.messages) == 1
    assert [(r.customer_id, r.status) for r in outbox(sessions)] == [(anna, "sending")]

    runner = make_runner(sessions, smtp.port, clock)
    clock.advance(minutes=1)
    await runner.run()  # soon after: the row is left alone
    assert len(smtp.messages) == 1 and outbox(sessions)[0].status == "sending"

    clock.advance(minutes=20)  # past the sending timeout: given up, still not re-sent
    report = await runner.run()
    assert len(smtp.messages) == 1
    assert report.gave_up_stuck == 1
    assert [(r.status, r.error) for r in outbox(sessions)] == [("failed", STUCK_ERROR)]


async def test_quiet_hours_leave_customers_for_a_later_run(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    _reachable(sessions, "anna@example.com")
    quiet = {
        "channels": ["email"],
        "quiet_hours": {"start": "21:00", "end": "08:00"},
        "timezone_default": "Europe/London",
    }
    save_campaign(sessions, proactive_campaign(outreach=quiet))
    clock = FakeClock(datetime(2025, 6, 30, 22, 30))  # 23:30 in London (BST)
    runner = make_runner(sessions, smtp.port, clock)

    night = await runner.run()
    assert smtp.messages == [] and exposures(sessions) == [] and outbox(sessions) == []
    assert night.skipped["quiet hours (left for a later run)"] == 1

    clock.now = datetime(2025, 7, 1, 6, 30)  # 07:30 in London: still quiet
    await runner.run()
    assert smtp.messages == []

    clock.now = datetime(2025, 7, 1, 7, 5)  # 08:05 in London
    morning = await runner.run()
    assert morning.sent == 1 and [m["To"] for m in smtp.messages] == ["anna@example.com"]


async def test_control_group_and_hold_out_are_recorded_but_sent_nothing(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    ids = {_reachable(sessions, f"c{i}@example.com"): f"c{i}@example.com" for i in range(30)}
    save_campaign(sessions, proactive_campaign(control_share=0.4), holdout_share=0.2)

    report = await make_runner(sessions, smtp.port, FakeClock(NOON)).run()

    arms = {customer: arm for customer, arm, _trigger in exposures(sessions)}
    assert set(arms) == set(ids)  # everyone eligible is assigned and recorded
    treated = {ids[c] for c, arm in arms.items() if arm == "variant"}
    assert {m["To"] for m in smtp.messages} == treated and len(smtp.messages) == len(treated)
    counts = {arm: list(arms.values()).count(arm) for arm in ("variant", "control", "holdout")}
    assert all(counts.values()), counts  # each group is present with these shares
    assert (report.queued, report.control, report.holdout) == (
        counts["variant"],
        counts["control"],
        counts["holdout"],
    )
    statuses = {(r.arm, r.status) for r in outbox(sessions)}
    assert statuses == {("variant", "sent"), ("control", "skipped"), ("holdout", "skipped")}


async def test_a_refused_address_is_recorded_as_bounced_and_never_retried(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    _reachable(sessions, "gone@example.com")
    smtp.refuse.add("gone@example.com")
    save_campaign(sessions, proactive_campaign(), per_day=5, per_week=10)
    clock = FakeClock(NOON)
    runner = make_runner(sessions, smtp.port, clock)

    report = await runner.run()
    clock.advance(hours=1)
    await runner.run()

    assert report.bounced == 1 and smtp.messages == []
    [row] = outbox(sessions)
    assert row.status == "bounced" and row.error is not None and row.error.startswith("550")
    assert smtp.rcpt_asked["gone@example.com"] == 1


async def test_a_temporary_failure_is_retried_a_bounded_number_of_times(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    _reachable(sessions, "busy@example.com")
    smtp.defer.add("busy@example.com")
    save_campaign(sessions, proactive_campaign())
    clock = FakeClock(NOON)
    runner = make_runner(sessions, smtp.port, clock, max_attempts=3)

    first = await runner.run()
    assert first.retry_later == 1 and outbox(sessions)[0].status == "pending"
    for _ in range(4):
        clock.advance(minutes=5)
        await runner.run()

    [row] = outbox(sessions)
    assert (row.status, row.attempts) == ("failed", 3) and row.error is not None
    assert row.error.startswith("451")
    assert smtp.rcpt_asked["busy@example.com"] == 3


async def test_the_relay_recovering_sends_what_waited(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    _reachable(sessions, "anna@example.com")
    save_campaign(sessions, proactive_campaign())
    clock = FakeClock(NOON)
    closed_port = free_port()  # nothing listens there

    down = await make_runner(sessions, closed_port, clock).run()
    assert down.relay_unreachable and outbox(sessions)[0].status == "pending"

    clock.advance(minutes=1)
    up = await make_runner(sessions, smtp.port, clock).run()
    assert up.sent == 1 and len(smtp.messages) == 1


async def test_dry_run_records_and_sends_nothing(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    _reachable(sessions, "anna@example.com")
    save_campaign(sessions, proactive_campaign())

    report = await make_runner(sessions, smtp.port, FakeClock(NOON)).run(dry_run=True)

    assert report.queued == 1 and "would queue: 1 offer(s)" in "\n".join(report.lines())
    assert smtp.messages == [] and exposures(sessions) == [] and outbox(sessions) == []


async def test_an_address_that_would_inject_headers_is_failed_and_the_run_goes_on(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    _reachable(sessions, "mallory@example.com\nBcc: everyone@example.com")
    _reachable(sessions, "anna@example.com")
    save_campaign(sessions, proactive_campaign())

    report = await make_runner(sessions, smtp.port, FakeClock(NOON)).run()

    assert [m["To"] for m in smtp.messages] == ["anna@example.com"]
    assert "everyone@example.com" not in smtp.rcpt_asked
    assert (report.sent, report.failed) == (1, 1)
    statuses = sorted((r.status, (r.error or "")[:15]) for r in outbox(sessions))
    assert statuses == [("failed", "not sendable: H"), ("sent", "")]
