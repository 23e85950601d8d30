"""Quiet hours in each customer's own time zone (``customers.timezone``), else the campaign's."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from promotions.outreach_spec import OutreachSpec, QuietHours, customer_zone
from tests.promotions.conftest import FakeClock
from tests.support.outreach import (
    customer_in_zone,
    make_runner,
    outbox,
    proactive_campaign,
    save_campaign,
)
from tests.support.smtp import SmtpRecorder

# 12:00 UTC is 13:00 in London, 21:00 in Tokyo and 05:00 in Los Angeles.
NOON_UTC = datetime(2025, 6, 30, 12, 0)
QUIET_AT_NIGHT = {
    "channels": ["email"],
    "timezone_default": "Europe/London",
    "quiet_hours": {"start": "21:00", "end": "08:00"},
}


async def test_quiet_hours_follow_each_customers_own_time_zone(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    customer_in_zone(sessions, "london@example.com", None)  # the campaign's default: 13:00
    customer_in_zone(sessions, "berlin@example.com", "Europe/Berlin")  # 14:00
    customer_in_zone(sessions, "tokyo@example.com", "Asia/Tokyo")  # 21:00: quiet
    customer_in_zone(sessions, "la@example.com", "America/Los_Angeles")  # 05:00: quiet
    save_campaign(sessions, proactive_campaign(outreach=QUIET_AT_NIGHT))
    clock = FakeClock(NOON_UTC)

    report = await make_runner(sessions, smtp.port, clock).run()

    assert sorted(m["To"] for m in smtp.messages) == ["berlin@example.com", "london@example.com"]
    assert report.skipped["quiet hours (left for a later run)"] == 2
    assert len(outbox(sessions)) == 2  # nothing recorded for the two left for later

    clock.advance(hours=1)  # 22:00 in Tokyo, still quiet; 06:00 in Los Angeles
    await make_runner(sessions, smtp.port, clock).run()
    assert len(smtp.messages) == 2
    clock.advance(hours=10)  # 08:00 in Tokyo, 16:00 in Los Angeles: both may hear now
    await make_runner(sessions, smtp.port, clock).run()
    assert sorted(m["To"] for m in smtp.messages[2:]) == ["la@example.com", "tokyo@example.com"]


async def test_a_bad_zone_name_in_the_store_falls_back_to_the_default_with_a_warning(
    sessions: sessionmaker[Session], smtp: SmtpRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    customer_in_zone(sessions, "mars@example.com", "Mars/Olympus_Mons")
    save_campaign(sessions, proactive_campaign(outreach=QUIET_AT_NIGHT))

    with caplog.at_level(logging.WARNING, logger="promotions.outreach_spec"):
        report = await make_runner(sessions, smtp.port, FakeClock(NOON_UTC)).run()

    assert [m["To"] for m in smtp.messages] == ["mars@example.com"]  # 13:00 London: not quiet
    assert report.sent == 1
    assert any(
        "Mars/Olympus_Mons" in r.getMessage() and "timezone_default" in r.getMessage()
        for r in caplog.records
    )


def test_a_bad_customer_zone_is_judged_by_the_campaign_default() -> None:
    spec = OutreachSpec(
        quiet_hours=QuietHours(*(datetime(2025, 1, 1, h).time() for h in (21, 8))),
        timezone_default="Asia/Tokyo",
    )

    assert spec.is_quiet(NOON_UTC, "not a zone") is True  # 21:00 in Tokyo
    assert spec.is_quiet(NOON_UTC, "Europe/London") is False
    assert spec.is_quiet(NOON_UTC, None) is True


def test_the_demo_generators_time_zones_are_real_and_cover_every_country() -> None:
    from demo_shop.customers import COUNTRIES, TIME_ZONES

    assert {country for country, _, _ in COUNTRIES} <= set(TIME_ZONES)
    for name in TIME_ZONES.values():
        assert customer_zone(name) is not None, name
