"""Orders that use a code mark the coupon redeemed — once, by its owner, in time, above the minimum."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import GlobalSettings
from promotions.coupons import record_redemption, scan_redemptions
from promotions.decision import OfferContext
from promotions.models import PromoCoupon
from promotions.repository import PromotionRepository
from promotions.service import PromotionService
from tests.factories import add_customer, add_order, add_product
from tests.promotions.conftest import FakeClock, make_campaign


@pytest.fixture
def issued(sessions: sessionmaker[Session], clock: FakeClock) -> tuple[int, str]:
    """A customer holding a 10%-off coupon (minimum basket 20, valid 7 days) issued at NOW."""
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0))
    repo.save_campaign(make_campaign())
    service = PromotionService(sessions, clock=clock)
    anna = add_customer(sessions, marketing_consent=True)
    service.offer_for(anna, OfferContext("returning_session_start"))
    return anna, service.accept(anna).coupon.code


def order_with(
    sessions: sessionmaker[Session], customer: int, code: str | None, at, price: float = 30.0
) -> str:
    product = add_product(sessions, price=price)
    return add_order(
        sessions,
        customer_id=customer,
        placed_at=at,
        lines=[(product, 1)],
        status="processing",
        coupon_code=code,
    ).number


def redeemed_by(sessions: sessionmaker[Session], code: str) -> str | None:
    with sessions() as s:
        return s.scalar(select(PromoCoupon.order_number).where(PromoCoupon.code == code))


def test_order_using_the_code_redeems_it_and_repeating_is_harmless(
    sessions: sessionmaker[Session], clock: FakeClock, issued: tuple[int, str]
) -> None:
    anna, code = issued
    number = order_with(sessions, anna, None, clock.now + timedelta(days=1))
    first = record_redemption(sessions, number, code.lower())  # typed in lower case
    assert (first.ok, first.status) == (True, "redeemed")
    assert record_redemption(sessions, number, code).ok
    assert redeemed_by(sessions, code) == number


def test_a_code_is_redeemed_once(
    sessions: sessionmaker[Session], clock: FakeClock, issued: tuple[int, str]
) -> None:
    anna, code = issued
    first = order_with(sessions, anna, None, clock.now + timedelta(days=1))
    second = order_with(sessions, anna, None, clock.now + timedelta(days=2))
    assert record_redemption(sessions, first, code).ok
    again = record_redemption(sessions, second, code)
    assert again.status == "used_elsewhere" and first in again.message


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("other_customer", "wrong_customer"),
        ("too_late", "expired"),
        ("too_early", "not_yet_valid"),
        ("small_basket", "below_minimum"),
    ],
)
def test_orders_that_may_not_use_the_code_do_not_redeem_it(
    sessions: sessionmaker[Session],
    clock: FakeClock,
    issued: tuple[int, str],
    case: str,
    status: str,
) -> None:
    anna, code = issued
    customer, at, price = anna, clock.now + timedelta(days=1), 30.0
    if case == "other_customer":
        customer = add_customer(sessions)
    elif case == "too_late":
        at = clock.now + timedelta(days=8)
    elif case == "too_early":
        at = clock.now - timedelta(days=1)
    else:
        price = 19.99
    number = order_with(sessions, customer, None, at, price)
    result = record_redemption(sessions, number, code)
    assert (result.ok, result.status) == (False, status)
    assert redeemed_by(sessions, code) is None


def test_unknown_code_and_unknown_order_are_reported(
    sessions: sessionmaker[Session], clock: FakeClock, issued: tuple[int, str]
) -> None:
    anna, code = issued
    number = order_with(sessions, anna, None, clock.now + timedelta(days=1))
    assert record_redemption(sessions, number, "NOPE-NOPE-NOPE").status == "unknown_code"
    assert record_redemption(sessions, "99999999", code).status == "unknown_order"


def test_scan_marks_coupons_named_on_orders(
    sessions: sessionmaker[Session], clock: FakeClock, issued: tuple[int, str]
) -> None:
    anna, code = issued
    order_with(sessions, anna, None, clock.now + timedelta(hours=5))  # no code: ignored
    number = order_with(sessions, anna, code, clock.now + timedelta(days=1))
    found = scan_redemptions(sessions)
    assert [(r.order_number, r.status) for r in found] == [(number, "redeemed")]
    assert redeemed_by(sessions, code) == number
    assert scan_redemptions(sessions) == []  # nothing left to do
