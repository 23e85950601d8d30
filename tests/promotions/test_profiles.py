"""Profiles built from the shop's customers, orders and recsys tags, as of a moment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from promotions.profiles import load_profile, load_profiles, propensity_band
from tests.factories import add_customer, add_order, add_product
from tests.promotions.conftest import NOW


def test_profile_counts_placed_sales_up_to_now_only(sessions: sessionmaker[Session]) -> None:
    anna = add_customer(
        sessions,
        first_name="Anna",
        country="France",
        marketing_consent=True,
        tags={"segment": "loyal", "lifecycle_stage": "active", "propensity": 0.45},
        created_at=NOW - timedelta(days=100),
    )
    lamp = add_product(sessions, price=40.0)
    add_order(sessions, customer_id=anna, placed_at=NOW - timedelta(days=30), lines=[(lamp, 2)])
    add_order(sessions, customer_id=anna, placed_at=NOW - timedelta(days=10), lines=[(lamp, 1)])
    add_order(
        sessions,
        customer_id=anna,
        placed_at=NOW - timedelta(days=5),
        lines=[(lamp, 1)],
        status="cancelled",
    )
    add_order(
        sessions,
        customer_id=anna,
        placed_at=NOW + timedelta(days=1),
        lines=[(lamp, 1)],
        status="pending",
    )
    profile = load_profile(sessions, anna, NOW)
    assert profile is not None
    assert (profile.orders_count, profile.total_spent, profile.days_since_last_order) == (
        2,
        120.0,
        10,
    )
    assert (
        profile.segment,
        profile.lifecycle_stage,
        profile.propensity,
        profile.propensity_band,
    ) == (
        "loyal",
        "active",
        0.45,
        "medium",
    )
    assert (profile.country, profile.consent, profile.days_since_signup) == ("France", True, 100)
    earlier = load_profile(sessions, anna, NOW - timedelta(days=20))
    assert (earlier.orders_count, earlier.days_since_last_order) == (1, 10)


def test_customer_without_orders_or_tags(sessions: sessionmaker[Session]) -> None:
    new = add_customer(sessions, offers_opt_out=True)
    profile = load_profile(sessions, new, NOW)
    assert (profile.orders_count, profile.total_spent, profile.days_since_last_order) == (
        0,
        0.0,
        None,
    )
    assert (profile.segment, profile.propensity_band, profile.opted_out) == (None, None, True)
    assert load_profile(sessions, 424242, NOW) is None
    assert [p.customer_id for p in load_profiles(sessions, NOW)] == [new]


def test_propensity_bands() -> None:
    assert [propensity_band(p) for p in (None, 0.0, 0.29, 0.3, 0.59, 0.6, 1.0)] == [
        None,
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
