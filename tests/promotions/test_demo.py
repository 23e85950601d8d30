"""The demo history: sample campaigns plus a seeded, realistic offer history over generated data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from demo_shop.generator import generate
from promotions.demo import seed_demo
from promotions.models import PromoCoupon, PromoExposure
from promotions.results import campaign_results
from store.models import Order
from tests.factories import migrated_store


def generated(tmp_path: Path, name: str) -> sessionmaker[Session]:
    sessions = migrated_store(tmp_path, name)
    generate(sessions, seed=3, customers=300, products=40, days=200)
    return sessions


def snapshot(sessions: sessionmaker[Session]) -> tuple[list, list]:
    with sessions() as s:
        exposures = s.execute(
            select(
                PromoExposure.customer_id,
                PromoExposure.arm,
                PromoExposure.variant_key,
                PromoExposure.at,
                PromoExposure.response,
            ).order_by(PromoExposure.id)
        ).all()
        coupons = s.execute(
            select(PromoCoupon.code, PromoCoupon.customer_id, PromoCoupon.order_number).order_by(
                PromoCoupon.id
            )
        ).all()
    return exposures, coupons


def test_same_seed_gives_the_same_history(tmp_path: Path) -> None:
    one, two = generated(tmp_path, "one.db"), generated(tmp_path, "two.db")
    first, second = seed_demo(one, seed=5), seed_demo(two, seed=5)
    assert first == second
    assert snapshot(one) == snapshot(two)


def test_history_has_every_kind_of_event_and_redemptions_come_from_orders(tmp_path: Path) -> None:
    sessions = generated(tmp_path, "shop.db")
    summary = seed_demo(sessions, seed=7)
    assert (
        summary.offers > 0
        and summary.controls > 0
        and summary.accepted > 0
        and summary.declined > 0
    )
    assert summary.coupons == summary.accepted
    assert summary.redeemed > 0
    with sessions() as s:
        redeemed = s.execute(
            select(PromoCoupon.code, PromoCoupon.order_number).where(
                PromoCoupon.redeemed_at.is_not(None)
            )
        ).all()
        assert len(redeemed) == summary.redeemed
        for code, number in redeemed:
            assert s.scalar(select(Order.coupon_code).where(Order.number == number)) == code
    report = campaign_results(sessions)
    assert sum(c.exposed for c in report.campaigns) > 0
    assert sum(c.redeemed for c in report.campaigns) == summary.redeemed


def test_seeding_twice_adds_no_second_history(tmp_path: Path) -> None:
    sessions = generated(tmp_path, "shop.db")
    seed_demo(sessions)
    with sessions() as s:
        before = s.scalar(select(func.count(PromoExposure.id)))
    assert seed_demo(sessions).skipped
    with sessions() as s:
        assert s.scalar(select(func.count(PromoExposure.id))) == before
