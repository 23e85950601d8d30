"""Campaign results day by day: daily counts that add up to the results totals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import GlobalSettings
from promotions.repository import PromotionRepository
from promotions.results import campaign_results
from promotions.timeline import campaign_timeline
from tests.factories import add_customer, add_order, add_product
from tests.promotions.conftest import NOW, FakeClock, make_campaign


def expose(repo: PromotionRepository, customer: int, arm: str, at, key: str = "exp") -> None:
    repo.record_exposure(
        customer_id=customer,
        campaign_key=key,
        arm=arm,
        variant_key="a" if arm == "variant" else None,
        trigger="returning_session_start",
        at=at,
    )


def buy(sessions: sessionmaker[Session], customer: int, at, status: str = "delivered") -> None:
    add_order(
        sessions,
        customer_id=customer,
        placed_at=at,
        lines=[(add_product(sessions), 1)],
        status=status,
    )


def test_daily_counts_date_assignments_and_conversions_and_add_up_to_the_results(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0, attribution_days=7))
    repo.save_campaign(make_campaign("exp", control_share=0.5))
    shown = [add_customer(sessions) for _ in range(4)]
    control = [add_customer(sessions) for _ in range(2)]
    expose(repo, shown[0], "variant", NOW)
    expose(repo, shown[1], "variant", NOW)
    expose(repo, shown[2], "variant", NOW + timedelta(days=1))
    expose(repo, shown[3], "variant", NOW + timedelta(days=2))
    expose(repo, shown[0], "variant", NOW + timedelta(days=2))  # a repeat: counted once
    expose(repo, control[0], "control", NOW + timedelta(days=1))
    expose(repo, control[1], "control", NOW + timedelta(days=1))
    buy(sessions, shown[0], NOW + timedelta(days=2))  # converts on day 2
    buy(sessions, shown[0], NOW + timedelta(days=3))  # a second order: still one conversion
    buy(sessions, shown[1], NOW + timedelta(days=8))  # outside the 7-day window
    buy(sessions, shown[2], NOW - timedelta(days=1))  # before the offer
    buy(sessions, shown[3], NOW + timedelta(days=3), status="cancelled")
    buy(sessions, control[0], NOW + timedelta(days=4))
    now = NOW + timedelta(days=5)

    days = campaign_timeline(sessions, "exp", now=now)

    assert [d.day for d in days] == [(NOW + timedelta(days=i)).date() for i in range(6)]
    assert [d.exposed for d in days] == [2, 1, 1, 0, 0, 0]
    assert [d.control for d in days] == [0, 2, 0, 0, 0, 0]
    assert [d.converted for d in days] == [0, 0, 1, 0, 0, 0]
    assert [d.control_converted for d in days] == [0, 0, 0, 0, 1, 0]
    (result,) = campaign_results(sessions, now=now).campaigns
    arms = {a.arm: a for a in result.arms}
    assert sum(d.exposed for d in days) == result.exposed
    assert sum(d.converted for d in days) == arms["a"].converted
    assert sum(d.control for d in days) == arms["control"].customers
    assert sum(d.control_converted for d in days) == arms["control"].converted


def test_campaign_without_assignments_has_an_empty_timeline(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    repo.save_campaign(make_campaign("quiet"))
    assert campaign_timeline(sessions, "quiet", now=NOW) == []
