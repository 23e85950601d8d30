"""Coupons: unguessable codes, idempotent issuance within a budget, redemption by orders.

Issuing is idempotent per exposure: the ``promo_coupons.exposure_id`` unique constraint
lets exactly one insert win however many requests race, and the losers read the winner's
coupon back after the ``IntegrityError``. On SQLite the write transaction starts with
``BEGIN IMMEDIATE``, because a deferred WAL transaction that read an older snapshot cannot
upgrade to a writer ("database is locked") — this way the loser waits and then collides.

The budget is a counter on the campaign row, taken with one conditional
``UPDATE ... SET coupons_issued = coupons_issued + 1 WHERE ... coupons_issued < coupon_budget``
in the issuing transaction: the database checks and counts in one step, and on PostgreSQL
the row lock it takes makes concurrent issuers of one campaign queue and re-read the count,
so no two of them spend the last coupon (a count of rows followed by an insert would let
them). A transaction that fails afterwards rolls its count back with it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from promotions.acceptance import acceptance_refusal
from promotions.assignment import Arm
from promotions.campaigns import CouponKind, CouponSpec, money
from promotions.models import PromoCampaign, PromoCoupon, PromoExposure
from promotions.replies import ReplyStatus
from store.db import writing
from store.models import Order

# No 0/O, 1/I/L: codes are read aloud and typed from a phone screen.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_ATTEMPTS = 5


def new_code(groups: int = 3, size: int = 4) -> str:
    """A fresh code like 'K7QP-9XWM-R2TD' (60 bits from ``secrets``)."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(size)) for _ in range(groups))


def normalise_code(code: str) -> str:
    """Codes compare case-insensitively and ignore surrounding spaces."""
    return code.strip().upper()


class CouponRefused(Exception):
    """A coupon cannot be issued; ``reason`` is the answer's status, the message says why."""

    def __init__(self, reason: ReplyStatus, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class IssuedCoupon:
    """A coupon as handed to the customer; ``created`` is False when it already existed."""

    code: str
    campaign_key: str
    variant_key: str
    spec: CouponSpec
    issued_at: datetime
    expires_at: datetime
    created: bool


def issue_coupon(
    sessions: sessionmaker[Session],
    exposure_id: int,
    spec: CouponSpec,
    now: datetime,
    *,
    code_factory: Callable[[], str] = new_code,
) -> IssuedCoupon:
    """The coupon of ``exposure_id``, issuing it on first call (idempotent, race-safe).

    ``spec`` is the coupon as the offer showed it. Raises ``CouponRefused`` when the offer
    cannot be honoured now (``promotions.acceptance.acceptance_refusal``) or the campaign's
    budget is spent.
    """
    existing = _coupon_of_exposure(sessions, exposure_id)
    if existing is not None:
        return existing
    for _ in range(_CODE_ATTEMPTS):
        code = normalise_code(code_factory())
        try:
            with writing(sessions) as s:
                exposure = s.get(PromoExposure, exposure_id)
                if exposure is None or exposure.arm != Arm.VARIANT or not exposure.variant_key:
                    raise CouponRefused(ReplyStatus.NO_OFFER, "there is no offer shown to accept")
                issued_meanwhile = s.scalar(
                    select(PromoCoupon.id).where(PromoCoupon.exposure_id == exposure_id)
                )
                if issued_meanwhile is None:
                    _check_and_count(s, exposure, now)
                    s.add(_coupon_row(code, exposure, spec, now))
        except IntegrityError:
            # Either another request issued this exposure's coupon first (return it), or
            # the random code collided with another coupon's (draw again). The count taken
            # above was rolled back with the insert.
            existing = _coupon_of_exposure(sessions, exposure_id)
            if existing is not None:
                return existing
            continue
        found = _coupon_of_exposure(sessions, exposure_id)
        assert found is not None  # committed just above, or by the request that won
        return found if issued_meanwhile is not None else replace(found, created=True)
    raise RuntimeError(f"could not draw a unique coupon code in {_CODE_ATTEMPTS} attempts")


def check_acceptance(sessions: sessionmaker[Session], exposure_id: int, now: datetime) -> None:
    """Re-check an offer that gives no coupon; raises ``CouponRefused`` as issuing would."""
    with sessions() as s:
        exposure = s.get(PromoExposure, exposure_id)
        if exposure is None:
            raise CouponRefused(ReplyStatus.NO_OFFER, "there is no offer shown to accept")
        refusal = acceptance_refusal(s, exposure, now)
    if refusal is not None:
        raise CouponRefused(refusal, f"the offer cannot be honoured now: {refusal}")


def _check_and_count(s: Session, exposure: PromoExposure, now: datetime) -> None:
    """Re-check the offer and count one coupon against the budget; raise ``CouponRefused``."""
    refusal = acceptance_refusal(s, exposure, now)
    if refusal is not None:
        raise CouponRefused(refusal, f"the offer cannot be honoured now: {refusal}")
    counted = s.execute(
        update(PromoCampaign)
        .where(
            PromoCampaign.id == exposure.campaign_id,
            # Repeated here so that a pause committed while this request waited for the
            # row lock (PostgreSQL re-reads the row) still stops the coupon.
            PromoCampaign.status == "active",
            or_(
                PromoCampaign.coupon_budget.is_(None),
                PromoCampaign.coupons_issued < PromoCampaign.coupon_budget,
            ),
        )
        .values(coupons_issued=PromoCampaign.coupons_issued + 1)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], counted).rowcount == 1:
        return
    status = s.scalar(select(PromoCampaign.status).where(PromoCampaign.id == exposure.campaign_id))
    if status != "active":
        raise CouponRefused(ReplyStatus.OFFER_WITHDRAWN, "the campaign was stopped")
    raise CouponRefused(ReplyStatus.BUDGET_SPENT, "this offer has run out")


def _coupon_row(code: str, exposure: PromoExposure, spec: CouponSpec, now: datetime) -> PromoCoupon:
    return PromoCoupon(
        code=code,
        exposure_id=exposure.id,
        customer_id=exposure.customer_id,
        campaign_id=exposure.campaign_id,
        variant_key=exposure.variant_key,
        sender_id=exposure.sender_id,
        chat_session_id=exposure.chat_session_id,
        kind=spec.kind,
        value=spec.value,
        min_basket=spec.min_basket,
        currency=spec.currency,
        issued_at=now,
        expires_at=now + timedelta(days=spec.validity_days),
    )


def _coupon_of_exposure(sessions: sessionmaker[Session], exposure_id: int) -> IssuedCoupon | None:
    with sessions() as s:
        row = s.scalar(select(PromoCoupon).where(PromoCoupon.exposure_id == exposure_id))
        if row is None:
            return None
        return IssuedCoupon(
            code=row.code,
            campaign_key=row.campaign.key,
            variant_key=row.variant_key,
            spec=CouponSpec(
                kind=cast(CouponKind, row.kind),  # CouponSpec refuses a kind it cannot price
                value=row.value,
                min_basket=row.min_basket,
                validity_days=max(1, (row.expires_at - row.issued_at).days),
                currency=row.currency,
            ),
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            created=False,
        )


@dataclass(frozen=True)
class Redemption:
    """What happened when an order used a code."""

    order_number: str
    code: str
    status: str  # redeemed, unknown_code, unknown_order, used_elsewhere, expired,
    #              not_yet_valid, below_minimum, wrong_customer
    message: str

    @property
    def ok(self) -> bool:
        """True when the coupon now counts as redeemed by this order."""
        return self.status == "redeemed"


def record_redemption(
    sessions: sessionmaker[Session], order_number: str, coupon_code: str
) -> Redemption:
    """Mark ``coupon_code`` redeemed by ``order_number`` if the order may use it (idempotent)."""
    code = normalise_code(coupon_code)

    def result(status: str, message: str) -> Redemption:
        return Redemption(order_number, code, status, message)

    with writing(sessions) as s:
        coupon = s.scalar(select(PromoCoupon).where(PromoCoupon.code == code))
        if coupon is None:
            return result("unknown_code", f"no coupon has the code {code}")
        order = s.scalar(select(Order).where(Order.number == order_number))
        if order is None:
            return result("unknown_order", f"no order has the number {order_number}")
        if coupon.order_number is not None:
            if coupon.order_number == order_number:
                return result("redeemed", f"{code} was already redeemed by order {order_number}")
            return result(
                "used_elsewhere", f"{code} was already used by order {coupon.order_number}"
            )
        if order.customer_id != coupon.customer_id:
            return result("wrong_customer", f"{code} belongs to another customer")
        if order.placed_at < coupon.issued_at:
            return result("not_yet_valid", f"order {order_number} was placed before {code} existed")
        if order.placed_at > coupon.expires_at:
            return result("expired", f"{code} expired on {coupon.expires_at:%d %b %Y}")
        basket = sum(line.quantity * line.unit_price for line in order.lines) or order.total
        if basket < coupon.min_basket:
            return result(
                "below_minimum",
                f"{code} needs a basket of {money(coupon.min_basket, coupon.currency)}; "
                f"order {order_number} has {money(basket, coupon.currency)}",
            )
        coupon.order_number = order_number
        coupon.redeemed_at = order.placed_at
        return result("redeemed", f"{code} redeemed by order {order_number}")


def scan_redemptions(sessions: sessionmaker[Session]) -> list[Redemption]:
    """Redeem every coupon named in ``orders.coupon_code`` that is not yet marked."""
    with sessions() as s:
        redeemed = set(
            s.scalars(select(PromoCoupon.order_number).where(PromoCoupon.order_number.is_not(None)))
        )
        pending = [
            (number, code)
            for number, code in s.execute(
                select(Order.number, Order.coupon_code)
                .where(Order.coupon_code.is_not(None), Order.status != "cancelled")
                .order_by(Order.placed_at, Order.id)
            )
            if number not in redeemed and code is not None  # the query left NULLs out
        ]
    return [record_redemption(sessions, number, code) for number, code in pending]
