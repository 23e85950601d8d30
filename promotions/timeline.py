"""A campaign's results day by day: customers newly shown an offer, newly in control, converting.

Counted exactly as ``promotions.results`` counts them — each customer once, in the arm of
their first assignment, converting with an order in the attribution window after it — so
the daily figures add up to the totals of ``campaign_results``. A conversion is dated by
the first order inside the window.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from promotions.assignment import Arm
from promotions.models import PromoCampaign, PromoExposure
from promotions.repository import PromotionRepository
from store.db import utcnow
from store.models import Order


@dataclass(frozen=True)
class DayCounts:
    """One day of a campaign."""

    day: date
    exposed: int  # customers first shown one of the variants on this day
    control: int  # customers first assigned to the control group on this day
    converted: int  # exposed customers whose converting order fell on this day
    control_converted: int  # the same for the control group


def campaign_timeline(
    sessions: sessionmaker[Session],
    campaign_key: str,
    now: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> list[DayCounts]:
    """Daily counts from the campaign's first assignment to today (empty when none yet)."""
    now = now or clock()
    window = timedelta(days=PromotionRepository(sessions, clock).settings().attribution_days)
    with sessions() as s:
        assignments = s.execute(
            select(PromoExposure.customer_id, PromoExposure.arm, PromoExposure.at)
            .join(PromoCampaign, PromoExposure.campaign_id == PromoCampaign.id)
            .where(PromoCampaign.key == campaign_key)
            .order_by(PromoExposure.at, PromoExposure.id)
        ).all()
        first: dict[int, tuple[str, datetime]] = {}
        for customer_id, arm, at in assignments:
            first.setdefault(customer_id, (arm, at))
        orders: dict[int, list[datetime]] = defaultdict(list)
        if first:
            for buyer, placed_at in s.execute(
                select(Order.customer_id, Order.placed_at).where(
                    Order.customer_id.in_(list(first)),
                    Order.status != "cancelled",
                    Order.kind == "order",
                )
            ):
                assert buyer is not None  # only the assigned customers' orders
                orders[buyer].append(placed_at)
    if not first:
        return []
    for placed in orders.values():
        placed.sort()

    counts: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for customer_id, (arm, at) in first.items():
        if arm == Arm.HOLDOUT:
            continue
        shown = arm == Arm.VARIANT
        counts[at.date()][0 if shown else 1] += 1
        placed = orders.get(customer_id, [])
        start = bisect_right(placed, at)  # strictly after the assignment, as in results
        if start < len(placed) and placed[start] <= at + window:
            counts[placed[start].date()][2 if shown else 3] += 1

    start_day = min(at.date() for _, at in first.values())
    end_day = max([now.date(), *counts])
    days = []
    day = start_day
    while day <= end_day:
        exposed, control, converted, control_converted = counts.get(day, (0, 0, 0, 0))
        days.append(DayCounts(day, exposed, control, converted, control_converted))
        day += timedelta(days=1)
    return days
