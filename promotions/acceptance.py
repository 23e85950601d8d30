"""What an acceptance honours and what it re-checks.

An offer is accepted against what the customer was shown, not against the campaign as it
is now: ``ShownOffer`` is stored on the exposure when the offer is shown, so a marketer
editing the variant in between does not change what the customer gets. What may have
changed in between and forbids the coupon is checked again at the "yes"
(``acceptance_refusal``): the campaign is still live, and the customer still takes offers.
The coupon budget is checked where the coupon is issued, atomically
(``promotions.coupons.issue_coupon``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from promotions.campaigns import CouponKind, CouponSpec, Variant
from promotions.models import PromoCampaign, PromoExposure
from promotions.replies import ReplyStatus
from store.models import Customer


@dataclass(frozen=True)
class ShownOffer:
    """The variant a customer was shown and what accepting it gives."""

    variant_key: str
    accepted_template: str
    coupon: CouponSpec | None = None

    @classmethod
    def of(cls, variant: Variant) -> ShownOffer:
        """The offer ``variant`` makes, as it stands now."""
        return cls(variant.key, variant.accepted_template, variant.coupon)

    def to_json(self) -> dict[str, Any]:
        """The mapping stored in ``promo_exposures.offer_spec``."""
        coupon = None
        if self.coupon is not None:
            c = self.coupon
            coupon = {
                "kind": c.kind,
                "value": c.value,
                "min_basket": c.min_basket,
                "validity_days": c.validity_days,
                "currency": c.currency,
            }
        return {
            "variant": self.variant_key,
            "accepted_template": self.accepted_template,
            "coupon": coupon,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShownOffer:
        """The offer stored by ``to_json``; raises ``KeyError``/``ValueError`` on a bad row."""
        raw = data.get("coupon")
        coupon = None
        if raw is not None:
            coupon = CouponSpec(
                kind=cast(CouponKind, raw["kind"]),  # CouponSpec refuses an unknown kind
                value=float(raw["value"]),
                min_basket=float(raw["min_basket"]),
                validity_days=int(raw["validity_days"]),
                currency=str(raw["currency"]),
            )
        return cls(str(data["variant"]), str(data["accepted_template"]), coupon)


def campaign_is_live(campaign: PromoCampaign, now: datetime) -> bool:
    """Active and within its dates at ``now`` (``Campaign.is_live`` for a stored row)."""
    return (
        campaign.status == "active"
        and (campaign.starts_at is None or campaign.starts_at <= now)
        and (campaign.ends_at is None or now < campaign.ends_at)
    )


def acceptance_refusal(s: Session, exposure: PromoExposure, now: datetime) -> ReplyStatus | None:
    """Why the offer of ``exposure`` cannot be honoured now, or None when it can.

    Read inside the caller's transaction, so that on SQLite (``BEGIN IMMEDIATE``) nothing
    can pause the campaign or opt the customer out between this check and the coupon.
    """
    campaign = s.get(PromoCampaign, exposure.campaign_id)
    if campaign is None or not campaign_is_live(campaign, now):
        return ReplyStatus.OFFER_WITHDRAWN
    customer = s.get(Customer, exposure.customer_id)
    # The same two flags the decision reads (promotions.profiles): an opt-out or a
    # withdrawn consent since the offer was shown forbids it as it would have forbidden
    # showing it.
    if customer is None or customer.offers_opt_out or not customer.marketing_consent:
        return ReplyStatus.OFFERS_OFF
    return None
