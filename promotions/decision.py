"""The offer decision: a pure function of profile, context, campaigns, offer history and time.

``decide`` does no I/O, so it is tested over thousands of made-up profiles and run over the
whole customer base by ``python -m promotions simulate``. It returns an ``offer`` (campaign
and variant), ``control`` (eligible, shown nothing, measured), ``holdout`` (the global
hold-out: eligible, never shown anything) or ``none``, always with a reason code.

Caps count every assignment — offers, control and hold-out alike — so that the three
groups pass through identical logic and stay comparable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from promotions.assignment import CONTROL, Arm, assign_arm, in_global_holdout
from promotions.campaigns import Campaign, GlobalSettings
from promotions.triggers import BLOCKING_MATTERS, Matter, Trigger, blocking_matters, parse_trigger


class Outcome(StrEnum):
    """What ``decide`` chose for this customer at this moment."""

    OFFER = "offer"  # show a campaign's variant
    CONTROL = "control"  # eligible, in the campaign's control group: show nothing, measure
    HOLDOUT = "holdout"  # eligible, in the global hold-out: show nothing, ever
    NOTHING = "none"  # no campaign applies (the reason code says why)

    @property
    def arm(self) -> Arm | None:
        """The arm an exposure of this outcome is recorded in; None for nothing."""
        return _ARM_OF_OUTCOME.get(self)


_ARM_OF_OUTCOME = {
    Outcome.OFFER: Arm.VARIANT,
    Outcome.CONTROL: Arm.CONTROL,
    Outcome.HOLDOUT: Arm.HOLDOUT,
}
# Short names the decision's callers use.
OFFER, CONTROL_OUTCOME = Outcome.OFFER, Outcome.CONTROL
HOLDOUT, NOTHING = Outcome.HOLDOUT, Outcome.NOTHING


class Response(StrEnum):
    """The customer's answer to an offer, as the offer history records it."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    OPTED_OUT = "opted_out"
    # Said yes, but the shop could not honour it (campaign stopped, offers switched off,
    # budget spent): no coupon, and not counted as an acceptance.
    REFUSED = "refused"


DEFAULT_SETTINGS = GlobalSettings()


@dataclass(frozen=True)
class Profile:
    """What the decision knows about a customer."""

    customer_id: int
    first_name: str | None = None
    segment: str | None = None
    lifecycle_stage: str | None = None
    propensity_band: str | None = None
    propensity: float | None = None
    total_spent: float = 0.0
    orders_count: int = 0
    days_since_last_order: int | None = None
    days_since_signup: int | None = None
    country: str | None = None
    consent: bool = False
    opted_out: bool = False
    uplift: float | None = None  # predicted extra orders from one offer (recsys tags)
    uplift_rank: float | None = None  # share of customers scoring at least as high


@dataclass(frozen=True)
class OfferContext:
    """The conversation moment: which trigger fired and what is going on."""

    trigger: Trigger  # a plain string is converted (and checked) on creation
    active_matters: frozenset[Matter] = frozenset()  # e.g. {Matter.RETURN} while one is open
    channel: str = "web"
    product: str | None = None  # the recommended / discussed product's title
    product_category: str | None = None
    product_price: float | None = None
    basket_value: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "trigger", parse_trigger(self.trigger))
        matters = frozenset(self.active_matters)
        unknown = matters - set(BLOCKING_MATTERS)
        if unknown:
            raise ValueError(
                f"unknown matters {sorted(map(str, unknown))}; "
                f"use some of {', '.join(BLOCKING_MATTERS)}"
            )
        object.__setattr__(self, "active_matters", blocking_matters(matters))


@dataclass(frozen=True)
class PastOffer:
    """One earlier assignment of this customer (offer shown, control or hold-out)."""

    campaign_key: str
    arm: Arm
    at: datetime
    variant_key: str | None = None
    response: Response | None = None
    responded_at: datetime | None = None

    def __post_init__(self) -> None:
        # Built from database rows: an arm or response this code does not know fails here,
        # not as a silently uncounted cap further on.
        object.__setattr__(self, "arm", Arm(self.arm))
        if self.response is not None:
            object.__setattr__(self, "response", Response(self.response))


@dataclass(frozen=True)
class Decision:
    """What to do now, and why; ``passed_over`` holds (campaign key, reason) per campaign."""

    outcome: Outcome
    reason: str
    campaign_key: str | None = None
    variant_key: str | None = None
    passed_over: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", Outcome(self.outcome))

    @property
    def arm(self) -> Arm:
        """The arm the exposure of this decision is recorded in (not for ``NOTHING``)."""
        arm = self.outcome.arm
        if arm is None:
            raise ValueError(f"a {self.outcome!s} decision records no exposure")
        return arm

    @property
    def shows_offer(self) -> bool:
        """True when the customer is to see a message."""
        return self.outcome == OFFER


def rule_values(profile: Profile, context: OfferContext, now: datetime) -> dict[str, Any]:
    """The field values eligibility rules are evaluated over."""
    return {
        "segment": profile.segment,
        "lifecycle_stage": profile.lifecycle_stage,
        "propensity_band": profile.propensity_band,
        "propensity": profile.propensity,
        "total_spent": profile.total_spent,
        "orders_count": profile.orders_count,
        "days_since_last_order": profile.days_since_last_order,
        "days_since_signup": profile.days_since_signup,
        "country": profile.country,
        "consent": profile.consent,
        "trigger": context.trigger,
        "channel": context.channel,
        "basket_value": context.basket_value,
        "product_category": context.product_category,
        "product_price": context.product_price,
        "hour": now.hour,
    }


def decide(
    profile: Profile,
    context: OfferContext,
    campaigns: Iterable[Campaign],
    history: Sequence[PastOffer],
    now: datetime,
    settings: GlobalSettings = DEFAULT_SETTINGS,
    coupons_issued: Mapping[str, int] | None = None,
) -> Decision:
    """Choose the offer (or control, hold-out, nothing) for this customer at this moment."""
    if profile.opted_out:
        return Decision(NOTHING, "opted_out")
    if not profile.consent:
        return Decision(NOTHING, "no_consent")
    for matter in BLOCKING_MATTERS:
        if matter in context.active_matters:
            return Decision(NOTHING, f"blocked_by_{matter}")
    today = [h for h in history if h.at.date() == now.date() and h.at <= now]
    if len(today) >= settings.max_offers_per_day:
        return Decision(NOTHING, "daily_cap")
    week = [h for h in history if now - timedelta(days=7) < h.at <= now]
    if len(week) >= settings.max_offers_per_week:
        return Decision(NOTHING, "weekly_cap")

    values = rule_values(profile, context, now)
    available = {"first_name": profile.first_name, "product": context.product}
    passed_over: list[tuple[str, str]] = []
    for campaign in sorted(campaigns, key=lambda c: (-c.priority, c.key)):
        own = [h for h in history if h.campaign_key == campaign.key]
        reason = _rejection(campaign, context, values, available, own, now, coupons_issued or {})
        if reason is None and campaign.targeting is not None:
            reason = campaign.targeting.rejection(profile.uplift, profile.uplift_rank)
        if reason:
            passed_over.append((campaign.key, reason))
            continue
        done = tuple(passed_over)
        if in_global_holdout(profile.customer_id, settings.holdout_share):
            return Decision(HOLDOUT, "global_holdout", campaign.key, None, done)
        arm = _sticky_arm(profile.customer_id, campaign, own)
        if arm == CONTROL:
            return Decision(CONTROL_OUTCOME, "control_group", campaign.key, None, done)
        return Decision(OFFER, "chosen", campaign.key, arm, done)
    return Decision(
        NOTHING, "no_campaign" if passed_over else "no_campaigns", passed_over=tuple(passed_over)
    )


def _rejection(
    campaign: Campaign,
    context: OfferContext,
    values: Mapping[str, Any],
    available: Mapping[str, str | None],
    own: Sequence[PastOffer],
    now: datetime,
    coupons_issued: Mapping[str, int],
) -> str | None:
    """Why ``campaign`` cannot be offered now, or None when it can."""
    if campaign.status != "active":
        return "not_active"
    if campaign.starts_at and now < campaign.starts_at:
        return "not_started"
    if campaign.ends_at and now >= campaign.ends_at:
        return "ended"
    if context.trigger not in campaign.triggers:
        return "wrong_trigger"
    if not campaign.rule.matches(values):
        return "not_eligible"
    for slot in sorted(campaign.needs):
        if not available.get(slot):
            return f"missing_slot:{slot}"
    if any(h.response == Response.ACCEPTED for h in own):
        return "already_accepted"
    if campaign.max_per_customer is not None and len(own) >= campaign.max_per_customer:
        return "campaign_cap"
    cooldown_start = now - timedelta(days=campaign.cooldown_days)
    if any(
        h.response == Response.DECLINED and h.responded_at and h.responded_at > cooldown_start
        for h in own
    ):
        return "cooldown"
    if (
        campaign.coupon_budget is not None
        and coupons_issued.get(campaign.key, 0) >= campaign.coupon_budget
    ):
        return "budget_spent"
    return None


def _sticky_arm(customer_id: int, campaign: Campaign, own: Sequence[PastOffer]) -> str:
    """The customer's earlier arm in this campaign if still valid, else the hash's choice."""
    for past in own:
        if past.arm == Arm.CONTROL:
            return CONTROL
        if past.arm == Arm.VARIANT and past.variant_key:
            variant = campaign.variant(past.variant_key)
            if variant is not None and variant.weight > 0:
                return variant.key
    return assign_arm(
        customer_id,
        campaign.key,
        campaign.control_share,
        [(v.key, v.weight) for v in campaign.variants],
    )
