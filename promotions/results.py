"""Campaign results a marketer can trust: per campaign and arm, with intervals and checks.

The unit is the customer. Each customer belongs to the arm of their first assignment in
a campaign (assignment is sticky). A customer *converts* when they place an order within
the attribution window after that first assignment — counted the same way for customers
shown the offer, the control group and the global hold-out, which is what makes the lift
an estimate of what the offer caused rather than of who was targeted.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from promotions.assignment import NO_OFFER_ARMS, Arm
from promotions.campaigns import Campaign
from promotions.decision import Response
from promotions.models import PromoCampaign, PromoCoupon, PromoExposure
from promotions.outreach_results import ChannelCounts, outreach_counts
from promotions.repository import PromotionRepository
from promotions.stats import Lift, SampleRatio, lift, sample_ratio_check, wilson_interval
from store.db import utcnow
from store.models import Order


@dataclass(frozen=True)
class ArmResult:
    """One arm of a campaign: a variant, the control group or the hold-out."""

    arm: str
    customers: int
    accepted: int
    redeemed: int
    converted: int
    conversion_rate: float
    conversion_low: float
    conversion_high: float
    revenue: float
    revenue_per_customer: float
    lift: Lift | None  # against the campaign's control group (variants only)


@dataclass(frozen=True)
class CampaignResult:
    """A campaign's experiment: who was eligible, how each arm did, and whether to trust it.

    ``eligible`` counts customers assigned to any arm (offer, control or hold-out),
    ``exposed`` those shown a variant; ``accepted`` and ``redeemed`` are customers too.
    """

    key: str
    name: str
    status: str
    eligible: int
    exposed: int
    accepted: int
    redeemed: int
    arms: tuple[ArmResult, ...]
    sample_ratio: SampleRatio | None
    expected_split: dict[str, float]
    observed_split: dict[str, int]
    # Outreach messages by channel (sent, bounced, failed); empty for a chat-only campaign.
    outreach: tuple[ChannelCounts, ...] = ()

    @property
    def srm_warning(self) -> str | None:
        """A sentence for the marketer when the split departs from the configured one."""
        if self.sample_ratio is None or not self.sample_ratio.mismatch:
            return None
        return (
            f"sample ratio mismatch: observed {self.observed_split} vs configured "
            f"{ {k: round(v, 3) for k, v in self.expected_split.items()} } "
            f"(chi-square p={self.sample_ratio.p_value:.2g}); check assignment and logging "
            "before trusting the lift"
        )


@dataclass(frozen=True)
class ResultsReport:
    """Every campaign's results plus offers overall against the global hold-out."""

    campaigns: tuple[CampaignResult, ...]
    overall_exposed: ArmResult
    overall_holdout: ArmResult
    attribution_days: int
    computed_at: datetime


def campaign_results(
    sessions: sessionmaker[Session],
    now: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> ResultsReport:
    """Compute the results of every campaign from the database (the console calls this)."""
    now = now or clock()
    repo = PromotionRepository(sessions, clock)
    window = timedelta(days=repo.settings().attribution_days)
    campaigns = {c.key: c for c in repo.campaigns()}
    with sessions() as s:
        exposures = s.execute(
            select(
                PromoCampaign.key,
                PromoExposure.customer_id,
                PromoExposure.arm,
                PromoExposure.variant_key,
                PromoExposure.at,
                PromoExposure.response,
            )
            .join(PromoCampaign, PromoExposure.campaign_id == PromoCampaign.id)
            .order_by(PromoExposure.at, PromoExposure.id)
        ).all()
        redeemed_pairs = set(
            s.execute(
                select(PromoCampaign.key, PromoCoupon.customer_id)
                .join(PromoCampaign, PromoCoupon.campaign_id == PromoCampaign.id)
                .where(PromoCoupon.redeemed_at.is_not(None))
            ).all()
        )
        customer_ids = {row.customer_id for row in exposures}
        sales: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
        if customer_ids:
            for customer_id, placed_at, total in s.execute(
                select(Order.customer_id, Order.placed_at, Order.total).where(
                    Order.customer_id.in_(customer_ids),
                    Order.status != "cancelled",
                    Order.kind == "order",
                )
            ):
                assert customer_id is not None  # only the exposed customers' orders
                sales[customer_id].append((placed_at, float(total)))
    for orders in sales.values():
        orders.sort()

    first: dict[tuple[str, int], tuple[str, datetime]] = {}
    accepted: set[tuple[str, int]] = set()
    for key, customer_id, arm, variant_key, at, response in exposures:
        # A variant exposure always names its variant; were one not to, it counts as "variant".
        label = variant_key if arm == Arm.VARIANT and variant_key else arm
        first.setdefault((key, customer_id), (label, at))
        if response == Response.ACCEPTED:
            accepted.add((key, customer_id))

    def outcome(customer_id: int, since: datetime) -> tuple[bool, float]:
        orders = sales.get(customer_id, [])
        start = bisect_right(orders, (since, float("inf")))
        inside = [t for at, t in orders[start:] if at <= since + window]
        return bool(inside), sum(inside)

    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    outcomes: dict[tuple[str, int], tuple[bool, float]] = {}
    for (key, customer_id), (label, at) in first.items():
        groups[key][label].append(customer_id)
        outcomes[(key, customer_id)] = outcome(customer_id, at)

    messages = outreach_counts(sessions)
    results = []
    for key in sorted(set(campaigns) | set(groups), key=lambda k: (k not in campaigns, k)):
        campaign = campaigns.get(key)
        arms = groups.get(key, {})
        control = _arm(
            key,
            Arm.CONTROL.value,
            arms.get(Arm.CONTROL, []),
            accepted,
            redeemed_pairs,
            outcomes,
            None,
        )
        variant_keys = [v.key for v in campaign.variants] if campaign else []
        variant_keys += sorted(k for k in arms if k not in variant_keys and k not in NO_OFFER_ARMS)
        rows = [
            _arm(key, v, arms.get(v, []), accepted, redeemed_pairs, outcomes, control)
            for v in variant_keys
        ]
        rows.append(control)
        rows.append(
            _arm(
                key,
                Arm.HOLDOUT.value,
                arms.get(Arm.HOLDOUT, []),
                accepted,
                redeemed_pairs,
                outcomes,
                None,
            )
        )
        expected = _expected_split(campaign) if campaign else {}
        observed = {label: len(arms.get(label, [])) for label in expected}
        ratio = (
            sample_ratio_check(list(observed.values()), list(expected.values()))
            if expected
            else None
        )
        exposed_rows = [r for r in rows if r.arm not in NO_OFFER_ARMS]
        results.append(
            CampaignResult(
                key=key,
                name=campaign.name if campaign else key,
                status=campaign.status if campaign else "deleted",
                eligible=sum(len(v) for v in arms.values()),
                exposed=sum(r.customers for r in exposed_rows),
                accepted=sum(r.accepted for r in exposed_rows),
                redeemed=sum(r.redeemed for r in exposed_rows),
                arms=tuple(rows),
                sample_ratio=ratio,
                expected_split=expected,
                observed_split=observed,
                outreach=messages.get(key, ()),
            )
        )

    overall_exposed, overall_holdout = _overall(first, outcome)
    return ResultsReport(tuple(results), overall_exposed, overall_holdout, window.days, now)


def _expected_split(campaign: Campaign) -> dict[str, float]:
    total = sum(v.weight for v in campaign.variants if v.weight > 0)
    split = {Arm.CONTROL.value: campaign.control_share}  # plain-string labels, shown as they are
    for v in campaign.variants:
        if v.weight > 0:
            split[v.key] = (1 - campaign.control_share) * v.weight / total
    return split


def _arm(
    key: str,
    label: str,
    customers: list[int],
    accepted: set[tuple[str, int]],
    redeemed: Set[tuple[str, int]],  # only read, so the query's rows (tuples too) qualify
    outcomes: dict[tuple[str, int], tuple[bool, float]],
    control: ArmResult | None,
) -> ArmResult:
    n = len(customers)
    converted = sum(1 for c in customers if outcomes[(key, c)][0])
    revenue = round(sum(outcomes[(key, c)][1] for c in customers), 2)
    low, high = wilson_interval(converted, n)
    return ArmResult(
        arm=label,
        customers=n,
        accepted=sum(1 for c in customers if (key, c) in accepted),
        redeemed=sum(1 for c in customers if (key, c) in redeemed),
        converted=converted,
        conversion_rate=converted / n if n else 0.0,
        conversion_low=low,
        conversion_high=high,
        revenue=revenue,
        revenue_per_customer=round(revenue / n, 2) if n else 0.0,
        lift=lift(converted, n, control.converted, control.customers) if control else None,
    )


def _overall(
    first: dict[tuple[str, int], tuple[str, datetime]],
    outcome: Callable[[int, datetime], tuple[bool, float]],
) -> tuple[ArmResult, ArmResult]:
    """All customers shown any offer against the global hold-out, from their first assignment."""
    earliest: dict[int, tuple[datetime, str]] = {}
    for (_, customer_id), (label, at) in first.items():
        group = label if label in NO_OFFER_ARMS else "exposed"
        if customer_id not in earliest or at < earliest[customer_id][0]:
            earliest[customer_id] = (at, group)
    rows: dict[str, list[tuple[bool, float]]] = {"exposed": [], "holdout": []}
    for customer_id, (at, group) in earliest.items():
        if group in rows:
            rows[group].append(outcome(customer_id, at))

    def summary(label: str, items: list[tuple[bool, float]], base: ArmResult | None) -> ArmResult:
        n, converted = len(items), sum(1 for ok, _ in items if ok)
        revenue = round(sum(v for _, v in items), 2)
        low, high = wilson_interval(converted, n)
        return ArmResult(
            label,
            n,
            0,
            0,
            converted,
            converted / n if n else 0.0,
            low,
            high,
            revenue,
            round(revenue / n, 2) if n else 0.0,
            lift(converted, n, base.converted, base.customers) if base else None,
        )

    holdout = summary("holdout", rows["holdout"], None)
    return summary("exposed", rows["exposed"], holdout), holdout
