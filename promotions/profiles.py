"""Customer profiles for the decision, built from the shop's customers, orders and recsys tags.

Recsys writes its results into ``customers.tags``; the keys read here are ``segment``,
``lifecycle_stage`` (or ``lifecycle``), ``propensity`` (probability of buying in the next
30 days), ``propensity_band`` (derived from ``propensity`` when absent), and ``uplift`` /
``uplift_rank`` (``recsys.uplift_train``; read by campaigns' targeting).
Order facts count placed, non-cancelled sales up to ``now``, so a profile can be rebuilt
as it was at any past moment (the demo history needs that).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from promotions.decision import Profile
from store.models import Customer, Order

HIGH_PROPENSITY = 0.6
MEDIUM_PROPENSITY = 0.3


@dataclass(frozen=True)
class CustomerFacts:
    """The customer columns a profile needs, detached from the database."""

    id: int
    first_name: str | None
    country: str | None
    created_at: datetime | None
    consent: bool
    opted_out: bool
    tags: dict[str, Any]


def propensity_band(propensity: float | None) -> str | None:
    """'high', 'medium' or 'low' for a probability; None when unknown."""
    if propensity is None:
        return None
    if propensity >= HIGH_PROPENSITY:
        return "high"
    return "medium" if propensity >= MEDIUM_PROPENSITY else "low"


def build_profile(
    facts: CustomerFacts, orders: Sequence[tuple[datetime, float]], now: datetime
) -> Profile:
    """The profile as of ``now`` from the customer's facts and (placed_at, total) sales."""
    past = [(at, total) for at, total in orders if at <= now]
    last = max((at for at, _ in past), default=None)
    tags = facts.tags or {}
    propensity = _float_or_none(tags.get("propensity"))
    band = tags.get("propensity_band") or propensity_band(propensity)
    return Profile(
        customer_id=facts.id,
        first_name=facts.first_name,
        segment=_text_or_none(tags.get("segment")),
        lifecycle_stage=_text_or_none(tags.get("lifecycle_stage", tags.get("lifecycle"))),
        propensity_band=_text_or_none(band),
        propensity=propensity,
        total_spent=round(sum(total for _, total in past), 2),
        orders_count=len(past),
        days_since_last_order=(now - last).days if last else None,
        days_since_signup=(now - facts.created_at).days if facts.created_at else None,
        country=facts.country,
        consent=facts.consent,
        opted_out=facts.opted_out,
        uplift=_float_or_none(tags.get("uplift")),
        uplift_rank=_float_or_none(tags.get("uplift_rank")),
    )


def load_facts(
    sessions: sessionmaker[Session], customer_ids: Iterable[int] | None = None
) -> dict[int, tuple[CustomerFacts, list[tuple[datetime, float]]]]:
    """Facts and sales of the given customers (all when None), in two queries."""
    ids = list(customer_ids) if customer_ids is not None else None
    customers = select(Customer).order_by(Customer.id)
    orders = select(Order.customer_id, Order.placed_at, Order.total).where(
        Order.customer_id.is_not(None), Order.status != "cancelled", Order.kind == "order"
    )
    if ids is not None:
        customers = customers.where(Customer.id.in_(ids))
        orders = orders.where(Order.customer_id.in_(ids))
    sales: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    with sessions() as s:
        for customer_id, placed_at, total in s.execute(orders):
            assert customer_id is not None  # the query leaves guests' orders out
            sales[customer_id].append((placed_at, float(total)))
        return {
            row.id: (
                CustomerFacts(
                    id=row.id,
                    first_name=row.first_name,
                    country=row.country,
                    created_at=row.created_at,
                    consent=bool(row.marketing_consent),
                    opted_out=bool(row.offers_opt_out),
                    tags=dict(row.tags or {}),
                ),
                sorted(sales.get(row.id, [])),
            )
            for row in s.scalars(customers)
        }


def load_profile(
    sessions: sessionmaker[Session], customer_id: int, now: datetime
) -> Profile | None:
    """The customer's current profile, or None for an unknown id."""
    found = load_facts(sessions, [customer_id]).get(customer_id)
    return build_profile(found[0], found[1], now) if found else None


def load_profiles(sessions: sessionmaker[Session], now: datetime) -> list[Profile]:
    """Every customer's profile as of ``now``."""
    return [build_profile(f, o, now) for f, o in load_facts(sessions).values()]


def _float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
