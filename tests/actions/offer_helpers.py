"""Campaign data and session-outcome helpers for the offer tests of the actions."""

from __future__ import annotations

from typing import Any

from tests.actions.shop_data import Shop
from tests.actions.trackers import SENDER

BUTTONS = [
    {"title": "Yes, send the code", "action": "accept"},
    {"title": "No thanks", "action": "decline"},
    {"title": "Stop sending me offers", "action": "opt_out"},
]


def campaign(key: str, triggers: list[str], **overrides: Any) -> dict[str, Any]:
    """An always-eligible campaign with no control group and a 10% coupon."""
    data: dict[str, Any] = {
        "key": key,
        "name": f"Campaign {key}",
        "status": "active",
        "priority": 10,
        "triggers": triggers,
        "eligibility": "true",
        "control_share": 0.0,
        "caps": {"max_per_customer": 5, "cooldown_days": 14, "coupon_budget": None},
        "variants": [
            {
                "key": "a",
                "weight": 1,
                "template": "Welcome back {{ first_name }}! {{ discount }} off — want the code?",
                "accepted_template": "Your code is {{ code }}.",
                "buttons": BUTTONS,
                "coupon": {"kind": "percent", "value": 10, "min_basket": 20, "validity_days": 7},
            }
        ],
    }
    data.update(overrides)
    return data


def outcomes(shop: Shop) -> list[tuple[str, str | None]]:
    session = shop.repo.current_session(SENDER)
    return [(o.kind, o.ref) for o in session.outcomes] if session else []
