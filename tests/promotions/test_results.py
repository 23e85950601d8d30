"""Campaign results from a known history: counts, conversion window, lift, sample-ratio check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import GlobalSettings
from promotions.coupons import scan_redemptions
from promotions.decision import OfferContext
from promotions.repository import PromotionRepository
from promotions.results import campaign_results
from promotions.service import PromotionService
from promotions.stats import lift, wilson_interval
from tests.factories import add_customer, add_order, add_product
from tests.promotions.conftest import NOW, FakeClock, make_campaign


def buy(sessions: sessionmaker[Session], customer: int, at, price: float, **kw) -> str:
    product = add_product(sessions, price=price)
    return add_order(
        sessions, customer_id=customer, placed_at=at, lines=[(product, 1)], **kw
    ).number


@pytest.fixture
def history(sessions: sessionmaker[Session], clock: FakeClock) -> dict[str, list[int]]:
    """10 customers shown variant "a", 10 in control, 2 in the hold-out, with known orders."""
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0, attribution_days=14))
    repo.save_campaign(make_campaign("exp", control_share=0.5))
    service = PromotionService(sessions, clock=clock)
    shown = [add_customer(sessions, marketing_consent=True) for _ in range(10)]
    control = [add_customer(sessions, marketing_consent=True) for _ in range(10)]
    held = [add_customer(sessions, marketing_consent=True) for _ in range(2)]
    for c in shown:
        repo.record_exposure(
            customer_id=c,
            campaign_key="exp",
            arm="variant",
            variant_key="a",
            trigger="returning_session_start",
            at=NOW,
        )
    for c in control:
        repo.record_exposure(
            customer_id=c,
            campaign_key="exp",
            arm="control",
            trigger="returning_session_start",
            at=NOW,
        )
    for c in held:
        repo.record_exposure(
            customer_id=c,
            campaign_key="exp",
            arm="holdout",
            trigger="returning_session_start",
            at=NOW,
        )
    # A second exposure of a shown customer later does not move them or count twice.
    repo.record_exposure(
        customer_id=shown[0],
        campaign_key="exp",
        arm="variant",
        variant_key="a",
        trigger="after_order_resolved",
        at=NOW + timedelta(days=3),
    )
    clock.advance(minutes=1)
    codes = [service.accept(c).coupon.code for c in shown[:3]]  # three accept
    service.decline(shown[3])
    # Conversions: shown[0..3] order inside the window (two with their codes, one twice).
    buy(sessions, shown[0], NOW + timedelta(days=1), 50.0, coupon_code=codes[0])
    buy(sessions, shown[0], NOW + timedelta(days=2), 10.0)
    buy(sessions, shown[1], NOW + timedelta(days=3), 40.0, coupon_code=codes[1])
    buy(sessions, shown[2], NOW + timedelta(days=13, hours=23), 30.0)
    buy(sessions, shown[3], NOW + timedelta(days=5), 20.0)
    # Not conversions: too late, before the exposure, cancelled.
    buy(sessions, shown[4], NOW + timedelta(days=15), 99.0)
    buy(sessions, shown[5], NOW - timedelta(days=1), 99.0)
    buy(sessions, shown[6], NOW + timedelta(days=1), 99.0, status="cancelled")
    # One control customer converts; one hold-out customer converts.
    buy(sessions, control[0], NOW + timedelta(days=4), 25.0)
    buy(sessions, held[0], NOW + timedelta(days=4), 60.0)
    scan_redemptions(sessions)
    clock.advance(days=20)
    return {"shown": shown, "control": control, "held": held}


def test_counts_conversion_and_lift_per_arm(
    sessions: sessionmaker[Session], clock: FakeClock, history: dict[str, list[int]]
) -> None:
    report = campaign_results(sessions, now=clock.now)
    (exp,) = report.campaigns
    assert (exp.eligible, exp.exposed, exp.accepted, exp.redeemed) == (22, 10, 3, 2)
    arms = {a.arm: a for a in exp.arms}
    a, control, holdout = arms["a"], arms["control"], arms["holdout"]
    assert (a.customers, a.accepted, a.redeemed, a.converted) == (10, 3, 2, 4)
    assert a.conversion_rate == pytest.approx(0.4)
    assert (a.conversion_low, a.conversion_high) == wilson_interval(4, 10)
    assert a.revenue == pytest.approx(150.0)  # 50 + 10 + 40 + 30 + 20
    assert a.revenue_per_customer == pytest.approx(15.0)
    assert a.lift == lift(4, 10, 1, 10)
    assert a.lift.difference == pytest.approx(0.3)
    assert (control.customers, control.converted, control.revenue_per_customer) == (10, 1, 2.5)
    assert control.lift is None
    assert (holdout.customers, holdout.converted) == (2, 1)


def test_even_split_passes_the_sample_ratio_check(
    sessions: sessionmaker[Session], history: dict[str, list[int]]
) -> None:
    (exp,) = campaign_results(sessions).campaigns
    assert exp.expected_split == {"control": 0.5, "a": 0.5}
    assert exp.observed_split == {"control": 10, "a": 10}
    assert exp.sample_ratio is not None and exp.sample_ratio.p_value == pytest.approx(1.0)
    assert exp.srm_warning is None


def test_lopsided_split_raises_a_sample_ratio_warning(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    repo.save_campaign(make_campaign("skew", control_share=0.5))
    for i in range(80):
        customer = add_customer(sessions)
        arm = "variant" if i < 60 else "control"
        repo.record_exposure(
            customer_id=customer,
            campaign_key="skew",
            arm=arm,
            variant_key="a" if arm == "variant" else None,
            trigger="returning_session_start",
            at=NOW,
        )
    (skew,) = campaign_results(sessions).campaigns
    # chi² = (60 − 40)²/40 + (20 − 40)²/40 = 20, p ≈ 7.7e-6
    assert skew.sample_ratio.chi2 == pytest.approx(20.0)
    assert skew.sample_ratio.mismatch
    assert "sample ratio mismatch" in skew.srm_warning


def test_overall_compares_everyone_shown_an_offer_with_the_holdout(
    sessions: sessionmaker[Session], history: dict[str, list[int]]
) -> None:
    report = campaign_results(sessions)
    assert (report.overall_exposed.customers, report.overall_exposed.converted) == (10, 4)
    assert (report.overall_holdout.customers, report.overall_holdout.converted) == (2, 1)
    assert report.overall_exposed.lift == lift(4, 10, 1, 2)


def test_no_history_gives_empty_but_well_formed_results(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    PromotionRepository(sessions, clock).save_campaign(make_campaign("quiet"))
    (quiet,) = campaign_results(sessions).campaigns
    assert (quiet.eligible, quiet.exposed) == (0, 0)
    assert all(a.customers == 0 and a.conversion_rate == 0.0 for a in quiet.arms)
    assert quiet.sample_ratio is None


def test_offer_context_with_product_counts_too(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0))
    repo.save_campaign(make_campaign("rec", triggers=["with_recommendation"]))
    customer = add_customer(sessions, marketing_consent=True)
    context = OfferContext("with_recommendation", product="Lamp", product_price=30.0)
    assert PromotionService(sessions, clock=clock).offer_for(customer, context).shows_offer
    (rec,) = campaign_results(sessions).campaigns
    assert rec.exposed == 1
