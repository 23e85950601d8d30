"""A proactive campaign's schedule: its weekdays and the local hour from which it sends."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import CampaignError, campaign_from_dict
from tests.promotions.conftest import FakeClock
from tests.support.outreach import (
    customer_in_zone,
    make_runner,
    outbox,
    proactive_campaign,
    save_campaign,
)
from tests.support.smtp import SmtpRecorder

# Monday 30 June 2025, 08:00 UTC: 09:00 in London, 17:00 in Tokyo.
MONDAY_8_UTC = datetime(2025, 6, 30, 8, 0)
WEEKDAYS_FROM_10 = {
    "channels": ["email"],
    "timezone_default": "Europe/London",
    "schedule": {"days": ["mon", "tue", "wed", "thu", "fri"], "after": "10:00"},
}


async def test_a_customer_hears_only_from_the_scheduled_local_hour_on_a_scheduled_day(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    customer_in_zone(sessions, "london@example.com", None)  # 09:00: not yet
    customer_in_zone(sessions, "tokyo@example.com", "Asia/Tokyo")  # 17:00: due
    save_campaign(sessions, proactive_campaign(outreach=WEEKDAYS_FROM_10))
    clock = FakeClock(MONDAY_8_UTC)

    report = await make_runner(sessions, smtp.port, clock).run()

    assert [m["To"] for m in smtp.messages] == ["tokyo@example.com"]
    assert report.skipped["not its scheduled time (left for a later run)"] == 1
    assert len(outbox(sessions)) == 1  # nothing recorded for the one left for later

    clock.advance(hours=1)  # 10:00 in London
    await make_runner(sessions, smtp.port, clock).run()
    assert [m["To"] for m in smtp.messages] == ["tokyo@example.com", "london@example.com"]


async def test_nobody_hears_on_a_day_the_schedule_leaves_out(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    customer_in_zone(sessions, "london@example.com", None)
    save_campaign(sessions, proactive_campaign(outreach=WEEKDAYS_FROM_10))
    saturday_noon = FakeClock(datetime(2025, 7, 5, 12, 0))

    report = await make_runner(sessions, smtp.port, saturday_noon).run()

    assert smtp.messages == [] and outbox(sessions) == []
    assert report.skipped["not its scheduled time (left for a later run)"] == 1


def test_the_schedule_is_validated_with_its_place_and_written_back() -> None:
    bad = {**WEEKDAYS_FROM_10, "schedule": {"days": ["mon", "caturday"], "after": "25:00"}}
    with pytest.raises(CampaignError) as raised:
        campaign_from_dict(proactive_campaign(outreach=bad))
    assert sorted(p.split(":")[0] for p in raised.value.problems) == [
        "outreach.schedule.after",
        "outreach.schedule.days[1]",
    ]

    campaign = campaign_from_dict(proactive_campaign(outreach=WEEKDAYS_FROM_10))
    assert campaign_from_dict(campaign_to_dict(campaign)) == campaign
    assert campaign_to_dict(campaign)["outreach"]["schedule"] == {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "after": "10:00",
    }
