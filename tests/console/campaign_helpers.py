"""Helpers of the marketer page tests: campaign forms as posted, and a seeded experiment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import GlobalSettings, campaign_from_dict
from promotions.coupons import scan_redemptions
from promotions.repository import PromotionRepository
from promotions.service import PromotionService
from store.db import utcnow
from tests.factories import add_customer, add_order, add_product

GOOD_RULE = "orders_count >= 0 and consent == true"


def campaign_mapping(key: str = "spring", **overrides: Any) -> dict[str, Any]:
    """A valid campaign with a couponed variant and a plain one."""
    data: dict[str, Any] = {
        "key": key,
        "name": f"Campaign {key}",
        "status": "active",
        "priority": 10,
        "triggers": ["returning_session_start"],
        "eligibility": GOOD_RULE,
        "control_share": 0.5,
        "caps": {"max_per_customer": 3, "cooldown_days": 14, "coupon_budget": 100},
        "variants": [
            {
                "key": "a",
                "weight": 1,
                "template": "Hi {{ first_name | default('there') }}, take {{ discount }} off!",
                "coupon": {"kind": "percent", "value": 10, "min_basket": 20, "validity_days": 7},
            },
            {"key": "b", "weight": 1, "template": "Welcome back, {{ first_name }}!"},
        ],
    }
    data.update(overrides)
    return data


def save_campaign(sessions: sessionmaker[Session], key: str = "spring", **overrides: Any) -> None:
    """Store a valid campaign (with no hold-out, so previews are predictable)."""
    repo = PromotionRepository(sessions)
    repo.save_settings(GlobalSettings(holdout_share=0.0, max_offers_per_week=5))
    repo.save_campaign(campaign_from_dict(campaign_mapping(key, **overrides)))


def editor_form(token: str, **fields: str) -> list[tuple[str, str]]:
    """The editor's fields for a valid two-variant campaign, with ``fields`` replaced."""
    form = {
        "key": "spring",
        "name": "Spring sale",
        "description": "",
        "status": "active",
        "priority": "20",
        "starts_at": "2025-04-01T09:00",
        "ends_at": "",
        "eligibility": GOOD_RULE,
        "control_share": "0.2",
        "max_per_customer": "2",
        "cooldown_days": "10",
        "coupon_budget": "500",
        "v0_key": "a",
        "v0_weight": "3",
        "v0_template": "Hi {{ first_name }}, {{ discount }} off over {{ min_basket }}!",
        "v0_accepted_template": "",
        "v0_buttons": "accept: Yes please\ndecline: No thanks",
        "v0_coupon_kind": "amount",
        "v0_coupon_value": "5",
        "v0_coupon_min_basket": "30",
        "v0_coupon_validity_days": "10",
        "v0_coupon_currency": "GBP",
        "v1_key": "b",
        "v1_weight": "1",
        "v1_template": "Hello!",
        "v1_buttons": "",
        "v1_coupon_kind": "",
        "csrf_token": token,
    }
    form.update(fields)
    pairs = [(k, v) for k, v in form.items() if v is not None]
    pairs += [("trigger", "returning_session_start"), ("trigger", "with_recommendation")]
    return pairs


@dataclass(frozen=True)
class Experiment:
    """Who was put where in the seeded experiment."""

    shown: list[int]
    control: list[int]


def seed_experiment(
    sessions: sessionmaker[Session],
    key: str = "spring",
    *,
    shown: int = 20,
    control: int = 20,
    now: datetime | None = None,
) -> Experiment:
    """Assignments over three days, some accepted, redeemed and converting orders."""
    now = now or utcnow()
    repo = PromotionRepository(sessions)
    start = now - timedelta(days=3)
    shown_ids = [add_customer(sessions, marketing_consent=True) for _ in range(shown)]
    control_ids = [add_customer(sessions, marketing_consent=True) for _ in range(control)]
    shown_at = {}
    for i, customer in enumerate(shown_ids):
        shown_at[customer] = start + timedelta(days=i % 3, hours=1)
        repo.record_exposure(
            customer_id=customer,
            campaign_key=key,
            arm="variant",
            variant_key="a" if i % 2 == 0 else "b",
            trigger="returning_session_start",
            at=shown_at[customer],
        )
    for i, customer in enumerate(control_ids):
        repo.record_exposure(
            customer_id=customer,
            campaign_key=key,
            arm="control",
            trigger="returning_session_start",
            at=start + timedelta(days=i % 3, hours=1),
        )
    service = PromotionService(sessions)
    codes = [
        service.accept(c, campaign_key=key, now=shown_at[c] + timedelta(minutes=5))
        for c in shown_ids[:6]
    ]
    for i, customer in enumerate(shown_ids[:8]):
        code = codes[i].coupon.code if i < len(codes) and codes[i].coupon else None
        product = add_product(sessions, price=40.0 + i)
        add_order(
            sessions,
            customer_id=customer,
            placed_at=start + timedelta(days=2, hours=3),
            lines=[(product, 1)],
            coupon_code=code,
        )
    for customer in control_ids[:2]:
        add_order(
            sessions,
            customer_id=customer,
            placed_at=start + timedelta(days=2, hours=3),
            lines=[(add_product(sessions, price=30.0), 1)],
        )
    scan_redemptions(sessions)
    return Experiment(shown_ids, control_ids)
