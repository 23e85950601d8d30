"""A campaign back to the plain mapping it was written as: YAML export, the database row, the
console editor's before/after. ``promotions.campaigns.campaign_from_dict`` inverts it.
"""

from __future__ import annotations

from typing import Any

from promotions.campaigns import Campaign, Variant
from promotions.outreach_spec import outreach_to_dict
from promotions.targeting import targeting_to_dict


def campaign_to_dict(campaign: Campaign) -> dict[str, Any]:
    """The plain mapping of ``campaign``, as written to YAML; ``campaign_from_dict`` inverts it."""
    caps: dict[str, Any] = {
        "max_per_customer": campaign.max_per_customer,
        "cooldown_days": campaign.cooldown_days,
        "coupon_budget": campaign.coupon_budget,
    }
    data: dict[str, Any] = {
        "key": campaign.key,
        "name": campaign.name,
        "description": campaign.description,
        "status": campaign.status,
        "priority": campaign.priority,
        "starts_at": campaign.starts_at.isoformat() if campaign.starts_at else None,
        "ends_at": campaign.ends_at.isoformat() if campaign.ends_at else None,
        "triggers": [str(t) for t in campaign.triggers],
        "eligibility": campaign.eligibility,
        "control_share": campaign.control_share,
        "caps": caps,
        "variants": [_variant_to_dict(v) for v in campaign.variants],
    }
    if campaign.outreach is not None:
        data["outreach"] = outreach_to_dict(campaign.outreach)
    if campaign.targeting is not None:
        data["targeting"] = targeting_to_dict(campaign.targeting)
    return data


def _variant_to_dict(variant: Variant) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": variant.key,
        "weight": variant.weight,
        "template": variant.template,
        "accepted_template": variant.accepted_template,
        "buttons": [{"title": b.title, "action": str(b.action)} for b in variant.buttons],
    }
    if variant.coupon:
        c = variant.coupon
        data["coupon"] = {
            "kind": c.kind,
            "value": c.value,
            "min_basket": c.min_basket,
            "validity_days": c.validity_days,
            "currency": c.currency,
        }
    return data
