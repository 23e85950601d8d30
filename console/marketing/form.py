"""The campaign editor's form: a campaign as text fields, and those fields back as a campaign mapping.

The form keeps exactly what the marketer typed (strings), so a rejected save shows it again
untouched. ``campaign_data`` turns it into the plain mapping ``campaign_from_dict`` checks;
a number that does not parse is passed on as typed, so the promotions package's own
validation names it. ``field_errors`` files each of that validation's problems under the
form field it is about.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from multidict import MultiMapping

from promotions.campaigns import DEFAULT_BUTTONS, Campaign

MAX_VARIANTS = 8
MAX_FIELD_CHARS = 4000
VARIANT_FIELDS = (
    "key",
    "weight",
    "template",
    "accepted_template",
    "buttons",
    "coupon_kind",
    "coupon_value",
    "coupon_min_basket",
    "coupon_validity_days",
    "coupon_currency",
)
CAMPAIGN_FIELDS = (
    "key",
    "name",
    "description",
    "status",
    "priority",
    "starts_at",
    "ends_at",
    "eligibility",
    "control_share",
    "max_per_customer",
    "cooldown_days",
    "coupon_budget",
    "targeting",
    "targeting_value",
)
# The editor's targeting choice -> the field of promotions.targeting it sets ("" = everyone).
TARGETING_CHOICES = ("", "top_share", "min_uplift")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
_LOCATION = re.compile(r"^variants\[(\d+)\]\.?([a-z_]*)(?:\.([a-z_]+)|\[\d+\].*)?$")


@dataclass
class CampaignForm:
    """What the editor shows: campaign fields, chosen triggers and variant rows, all as typed."""

    fields: dict[str, str]
    triggers: list[str]
    variants: list[dict[str, str]] = field(default_factory=list)

    def with_blank_variant(self) -> CampaignForm:
        """The form plus one empty variant row to fill in (up to MAX_VARIANTS)."""
        rows = [v for v in self.variants if not _blank(v)]
        if len(rows) < MAX_VARIANTS:
            rows.append(blank_variant())
        return CampaignForm(dict(self.fields), list(self.triggers), rows)


def blank_variant() -> dict[str, str]:
    """An empty variant row (the default quick replies filled in)."""
    row = {name: "" for name in VARIANT_FIELDS}
    row["weight"] = "1"
    row["buttons"] = _buttons_text(
        [{"title": b.title, "action": b.action} for b in DEFAULT_BUTTONS]
    )
    row["coupon_currency"] = "GBP"
    row["coupon_validity_days"] = "14"
    return row


def blank_form() -> CampaignForm:
    """The editor of a new campaign."""
    fields = {name: "" for name in CAMPAIGN_FIELDS}
    fields.update(
        status="draft",
        priority="0",
        eligibility="true",
        control_share="0.1",
        max_per_customer="1",
        cooldown_days="14",
    )
    return CampaignForm(fields, [], [blank_variant()])


def form_from_campaign(campaign: Campaign) -> CampaignForm:
    """The editor filled in with a saved campaign."""
    fields = {
        "key": campaign.key,
        "name": campaign.name,
        "description": campaign.description,
        "status": campaign.status,
        "priority": str(campaign.priority),
        "starts_at": _moment(campaign.starts_at),
        "ends_at": _moment(campaign.ends_at),
        "eligibility": campaign.eligibility,
        "control_share": f"{campaign.control_share:g}",
        "max_per_customer": _optional(campaign.max_per_customer),
        "cooldown_days": str(campaign.cooldown_days),
        "coupon_budget": _optional(campaign.coupon_budget),
        **_targeting_fields(campaign),
    }
    variants = []
    for v in campaign.variants:
        row = blank_variant()
        row.update(
            key=v.key,
            weight=f"{v.weight:g}",
            template=v.template,
            accepted_template=v.accepted_template,
            buttons=_buttons_text([{"title": b.title, "action": b.action} for b in v.buttons]),
        )
        if v.coupon:
            row.update(
                coupon_kind=v.coupon.kind,
                coupon_value=f"{v.coupon.value:g}",
                coupon_min_basket=f"{v.coupon.min_basket:g}",
                coupon_validity_days=str(v.coupon.validity_days),
                coupon_currency=v.coupon.currency,
            )
        variants.append(row)
    return CampaignForm(fields, list(campaign.triggers), variants)


def form_from_post(post: MultiMapping[Any]) -> CampaignForm:
    """The editor's fields as posted (bounded in length; files and junk ignored)."""

    def text(name: str) -> str:
        value = post.get(name, "")
        return value[:MAX_FIELD_CHARS] if isinstance(value, str) else ""

    fields = {name: text(name) for name in CAMPAIGN_FIELDS}
    triggers = [t for t in post.getall("trigger", []) if isinstance(t, str)][:10]
    variants = []
    for i in range(MAX_VARIANTS):
        row = {name: text(f"v{i}_{name}") for name in VARIANT_FIELDS}
        if text(f"v{i}_remove") or _blank(row):
            continue
        variants.append(row)
    return CampaignForm(fields, triggers, variants)


def campaign_data(form: CampaignForm) -> dict[str, Any]:
    """The campaign mapping ``campaign_from_dict`` validates, built from the form's text."""
    f = form.fields
    data: dict[str, Any] = {
        "key": f["key"].strip(),
        "name": f["name"],
        "description": f["description"],
        "status": f["status"],
        "triggers": list(form.triggers),
        "eligibility": f["eligibility"],
        "variants": [_variant_data(row) for row in form.variants],
    }
    for name in ("starts_at", "ends_at"):
        if f[name].strip():
            data[name] = f[name].strip()
    for name in ("priority", "control_share"):
        if f[name].strip():
            data[name] = parse_number(f[name])
    caps: dict[str, Any] = {
        # Blank means "no limit" for these two, which the campaign spells None.
        "max_per_customer": parse_number(f["max_per_customer"]),
        "coupon_budget": parse_number(f["coupon_budget"]),
    }
    if f["cooldown_days"].strip():
        caps["cooldown_days"] = parse_number(f["cooldown_days"])
    data["caps"] = caps
    if f["targeting"] in TARGETING_CHOICES[1:]:
        # An unknown choice or a blank value reaches the validation, which names it.
        data["targeting"] = {"by": "uplift", f["targeting"]: parse_number(f["targeting_value"])}
    elif f["targeting"]:
        data["targeting"] = {"by": f["targeting"]}
    return data


def _targeting_fields(campaign: Campaign) -> dict[str, str]:
    targeting = campaign.targeting
    if targeting is None:
        return {"targeting": "", "targeting_value": ""}
    if targeting.top_share is not None:
        return {"targeting": "top_share", "targeting_value": f"{targeting.top_share:g}"}
    return {"targeting": "min_uplift", "targeting_value": f"{targeting.min_uplift:g}"}


def field_errors(problems: list[str]) -> dict[str, list[str]]:
    """Each problem of ``CampaignError.problems`` under the form field it names."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        location, _, message = problem.partition(": ")
        found.setdefault(_field_of(location), []).append(message)
    return found


def _field_of(location: str) -> str:
    """'variants[1].coupon.value' -> 'v1_coupon_value'; 'caps.cooldown_days' -> 'cooldown_days'."""
    match = _LOCATION.match(location)
    if match:
        index, name, sub = match.groups()
        if "buttons" in location:
            name = "buttons"
        elif sub:
            name = f"{name}_{sub}"
        elif name == "coupon":
            name = "coupon_kind"
        return f"v{index}_{name}" if name else f"v{index}"
    if location.startswith("targeting."):
        return "targeting_value" if location.endswith(TARGETING_CHOICES[1:]) else "targeting"
    if location.startswith("caps."):
        return location.removeprefix("caps.")
    if location.startswith("triggers"):
        return "triggers"
    return location


def _variant_data(row: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": row["key"].strip(),
        "template": row["template"],
        "buttons": _parse_buttons(row["buttons"]),
    }
    if row["weight"].strip():
        data["weight"] = parse_number(row["weight"])
    if row["accepted_template"].strip():
        data["accepted_template"] = row["accepted_template"]
    if row["coupon_kind"].strip():
        coupon: dict[str, Any] = {"kind": row["coupon_kind"].strip()}
        for name in ("value", "min_basket", "validity_days"):
            raw = row[f"coupon_{name}"]
            if raw.strip():
                coupon[name] = parse_number(raw)
        coupon["currency"] = row["coupon_currency"].strip() or "GBP"
        data["coupon"] = coupon
    if data["buttons"] is None:
        del data["buttons"]
    return data


def _parse_buttons(text: str) -> list[dict[str, str]] | None:
    """Lines of 'action: title'; None (the default buttons) when the box is empty."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    buttons = []
    for line in lines:
        action, sep, title = line.partition(":")
        # A line without "action:" keeps an empty action, which the campaign validation
        # then reports with the button's position.
        buttons.append(
            {"title": title.strip(), "action": action.strip()}
            if sep
            else {"title": line, "action": ""}
        )
    return buttons


def _buttons_text(buttons: list[dict[str, str]]) -> str:
    return "\n".join(f"{b['action']}: {b['title']}" for b in buttons)


def parse_number(raw: str) -> Any:
    """An int or float from form text; None when blank; the text itself when not a number."""
    text = raw.strip()
    if not text:
        return None
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text  # the promotions validation reports it as "must be a number, got '...'"


def _optional(value: int | None) -> str:
    return "" if value is None else str(value)


def _moment(value: Any) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def _blank(row: Mapping[str, str]) -> bool:
    return not row.get("key", "").strip() and not row.get("template", "").strip()
