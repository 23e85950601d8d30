"""Campaigns as data: what a marketer writes (YAML or the console), validated into frozen objects.

``campaign_from_dict`` turns the plain mapping of a YAML file or a database row into a
``Campaign`` after checking every part of it — the eligibility rule, the templates, the
coupon, the weights, the caps — and reports every problem at once, each naming where it is
(``variants[1].coupon.kind: ...``). ``promotions.campaign_export.campaign_to_dict`` is its inverse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from concierge.formatting import money  # re-exported: cli, coupons, report use it
from promotions.checking import FieldChecker
from promotions.eligibility import Rule, RuleError
from promotions.outreach_spec import OutreachSpec, outreach_from_dict
from promotions.replies import BUTTON_ACTIONS, BUTTON_PAYLOADS, ButtonAction, OfferPayload
from promotions.targeting import Targeting, targeting_from_dict
from promotions.templates import ACCEPTED_SLOTS, OFFER_SLOTS, TemplateProblem, check_template
from promotions.triggers import TRIGGERS, Trigger

STATUSES = ("draft", "active", "paused", "ended")
CouponKind = Literal["percent", "amount"]
COUPON_KINDS: tuple[CouponKind, ...] = get_args(CouponKind)
DEFAULT_ACCEPTED_TEMPLATE = (
    "Here is your code: {{ code }} — {{ discount }} off, valid until {{ expiry }}."
)
DEFAULT_THANKS_TEMPLATE = "Great — glad you like it!"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class CampaignError(ValueError):
    """A campaign definition with problems; ``problems`` lists each one with its location."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


@dataclass(frozen=True)
class CouponSpec:
    """The discount a variant gives when accepted."""

    kind: CouponKind
    value: float
    min_basket: float = 0.0
    validity_days: int = 14
    currency: str = "GBP"

    def __post_init__(self) -> None:
        # Also reached from database rows: a kind this code does not know must not
        # silently be priced as an amount.
        if self.kind not in COUPON_KINDS:
            raise ValueError(f"coupon kind must be one of {COUPON_KINDS}, got {self.kind!r}")

    def discount_text(self) -> str:
        """'15%' or '£5' (amounts as ``concierge.formatting.money`` writes them everywhere)."""
        if self.kind == "percent":
            return f"{self.value:g}%"
        return money(self.value, self.currency)

    def discount_on(self, basket: float) -> float:
        """The amount taken off ``basket`` (0 when the basket is under the minimum)."""
        if basket < self.min_basket:
            return 0.0
        if self.kind == "percent":
            return round(basket * self.value / 100, 2)
        return round(min(self.value, basket), 2)


@dataclass(frozen=True)
class Button:
    """A quick reply under the offer."""

    title: str
    action: ButtonAction

    @property
    def payload(self) -> OfferPayload:
        """The message the chat sends when the button is pressed."""
        return BUTTON_PAYLOADS[self.action]


DEFAULT_BUTTONS = (
    Button("Yes please", ButtonAction.ACCEPT),
    Button("No thanks", ButtonAction.DECLINE),
    Button("Stop sending me offers", ButtonAction.OPT_OUT),
)


@dataclass(frozen=True)
class Variant:
    """One version of the offer in an experiment."""

    key: str
    template: str
    weight: float = 1.0
    buttons: tuple[Button, ...] = DEFAULT_BUTTONS
    coupon: CouponSpec | None = None
    accepted_template: str = DEFAULT_ACCEPTED_TEMPLATE
    needs: frozenset[str] = frozenset()  # personal slots the templates cannot do without


@dataclass(frozen=True)
class Campaign:
    """A validated campaign: who, when, what, and how it is measured and capped."""

    key: str
    name: str
    status: str
    priority: int
    triggers: tuple[Trigger, ...]
    eligibility: str
    variants: tuple[Variant, ...]
    control_share: float = 0.1
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_per_customer: int | None = 1
    cooldown_days: int = 14
    coupon_budget: int | None = None
    description: str = ""
    outreach: OutreachSpec | None = None  # proactive: sent by ``python -m promotions outreach``
    targeting: Targeting | None = None  # only customers an offer moves (promotions.targeting)
    rule: Rule = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def is_live(self, now: datetime) -> bool:
        """Active and within its dates at ``now``."""
        return (
            self.status == "active"
            and (self.starts_at is None or self.starts_at <= now)
            and (self.ends_at is None or now < self.ends_at)
        )

    def variant(self, key: str) -> Variant | None:
        """The variant called ``key``, if any."""
        return next((v for v in self.variants if v.key == key), None)

    @property
    def needs(self) -> frozenset[str]:
        """Personal slots any of the variants needs (checked before assignment)."""
        return frozenset().union(*(v.needs for v in self.variants))


@dataclass(frozen=True)
class GlobalSettings:
    """Rules across all campaigns."""

    holdout_share: float = 0.05
    max_offers_per_day: int = 1
    max_offers_per_week: int = 3
    attribution_days: int = 14


def campaign_from_dict(data: Any, source: str = "campaign") -> Campaign:
    """Validate a campaign mapping; raises ``CampaignError`` listing every problem found."""
    if not isinstance(data, Mapping):
        raise CampaignError(
            source, [f"a campaign is a mapping of fields, got {type(data).__name__}"]
        )
    check = FieldChecker()
    key = check.text(data, "key", "")
    if key and not _KEY.match(key):
        check.fail("key", f"use 1-64 lower-case letters, digits, '-' or '_', got {key!r}")
    status = check.text(data, "status", "", "draft")
    if status not in STATUSES:
        check.fail("status", f"must be one of {', '.join(STATUSES)}, got {status!r}")
    triggers = data.get("triggers")
    if not isinstance(triggers, list) or not triggers:
        check.fail("triggers", f"list at least one of {', '.join(TRIGGERS)}")
        triggers = []
    for i, trig in enumerate(triggers):
        if trig not in TRIGGERS:
            check.fail(f"triggers[{i}]", f"unknown trigger {trig!r} (one of {', '.join(TRIGGERS)})")
    triggers = [Trigger(t) for t in triggers if t in TRIGGERS]
    eligibility = data.get("eligibility", "true")
    rule = None
    if not isinstance(eligibility, str):
        check.fail("eligibility", f"must be a rule written as text, got {eligibility!r}")
    else:
        try:
            rule = Rule.compile(eligibility)
        except RuleError as exc:
            pointer = exc.pointer(eligibility).replace("\n", "\n    ")
            check.fail("eligibility", f"{exc.message}\n    {pointer}")
    starts_at, ends_at = check.moment(data, "starts_at"), check.moment(data, "ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        check.fail("ends_at", "must be after starts_at")
    caps = data.get("caps") or {}
    if not isinstance(caps, Mapping):
        check.fail("caps", "must be a mapping")
        caps = {}
    variants = _variants(check, data.get("variants"))
    outreach = outreach_from_dict(check, data.get("outreach"))
    if outreach is not None and Trigger.OUTREACH not in triggers:
        check.fail("triggers", "add 'outreach': the campaign has an outreach block to send")
    elif outreach is None and Trigger.OUTREACH in triggers:
        check.fail("outreach", "the 'outreach' trigger needs an outreach block (channels, ...)")
    campaign = Campaign(
        key=key,
        name=check.text(data, "name", ""),
        status=status,
        priority=check.number(data, "priority", "", 0, low=-1000, high=1000, whole=True),
        triggers=tuple(triggers),
        eligibility=eligibility if isinstance(eligibility, str) else "",
        variants=variants,
        control_share=check.number(data, "control_share", "", 0.1, low=0.0, high=0.9),
        starts_at=starts_at,
        ends_at=ends_at,
        max_per_customer=check.number(
            caps, "max_per_customer", "caps.", 1, low=1, whole=True, optional=True
        ),
        cooldown_days=check.number(caps, "cooldown_days", "caps.", 14, low=0, whole=True),
        coupon_budget=check.number(
            caps, "coupon_budget", "caps.", None, low=0, whole=True, optional=True
        ),
        description=str(data.get("description") or "").strip(),
        outreach=outreach,
        targeting=targeting_from_dict(check, data.get("targeting")),
        rule=rule,  # type: ignore[arg-type]
    )
    unknown = set(data) - _CAMPAIGN_FIELDS
    for name in sorted(unknown):
        check.fail(name, f"unknown field (known: {', '.join(sorted(_CAMPAIGN_FIELDS))})")
    if check.problems:
        raise CampaignError(f"{source} {key!r}" if key else source, check.problems)
    return campaign


_CAMPAIGN_FIELDS = {
    "key",
    "name",
    "description",
    "status",
    "priority",
    "starts_at",
    "ends_at",
    "triggers",
    "eligibility",
    "control_share",
    "caps",
    "variants",
    "outreach",
    "targeting",
}


def _variants(check: FieldChecker, raw: Any) -> tuple[Variant, ...]:
    if not isinstance(raw, list) or not raw:
        check.fail("variants", "list at least one variant")
        return ()
    variants: list[Variant] = []
    for i, item in enumerate(raw):
        where = f"variants[{i}]."
        if not isinstance(item, Mapping):
            check.fail(f"variants[{i}]", "must be a mapping")
            continue
        key = check.text(item, "key", where)
        coupon = _coupon(check, item.get("coupon"), f"{where}coupon.")
        template = check.text(item, "template", where)
        accepted = check.text(
            item,
            "accepted_template",
            where,
            DEFAULT_ACCEPTED_TEMPLATE if coupon else DEFAULT_THANKS_TEMPLATE,
        )
        slots_offer = OFFER_SLOTS if coupon else ("first_name", "product")
        slots_accept = ACCEPTED_SLOTS if coupon else ("first_name",)
        needs: set[str] = set()
        for text, slots, name in (
            (template, slots_offer, "template"),
            (accepted, slots_accept, "accepted_template"),
        ):
            try:
                needs |= check_template(text, slots, f"variant {key!r} {name}")
            except TemplateProblem as exc:
                check.fail(f"{where}{name}", str(exc))
        buttons = _buttons(check, item.get("buttons"), where)
        variants.append(
            Variant(
                key=key,
                template=template,
                weight=check.number(item, "weight", where, 1.0, low=0.0),
                buttons=buttons,
                coupon=coupon,
                accepted_template=accepted,
                needs=frozenset(needs),
            )
        )
    keys = [v.key for v in variants]
    for dup in sorted({k for k in keys if keys.count(k) > 1}):
        check.fail("variants", f"variant key {dup!r} is used twice")
    if variants and sum(v.weight for v in variants) <= 0:
        check.fail("variants", "at least one variant needs a weight above 0")
    return tuple(variants)


def _coupon(check: FieldChecker, raw: Any, where: str) -> CouponSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        check.fail(
            where.rstrip("."), "must be a mapping with kind, value, min_basket, validity_days"
        )
        return None
    kind = raw.get("kind")
    if kind not in COUPON_KINDS:
        check.fail(f"{where}kind", f"must be 'percent' or 'amount', got {kind!r}")
    high = 100.0 if kind == "percent" else None
    return CouponSpec(
        # An unknown kind is already reported; the placeholder lets the other checks run.
        kind=kind if kind in COUPON_KINDS else "amount",
        value=check.number(raw, "value", where, 0.0, low=0.01, high=high),
        min_basket=check.number(raw, "min_basket", where, 0.0, low=0.0),
        validity_days=check.number(raw, "validity_days", where, 14, low=1, high=365, whole=True),
        currency=str(raw.get("currency", "GBP")).upper(),
    )


def _buttons(check: FieldChecker, raw: Any, where: str) -> tuple[Button, ...]:
    if raw is None:
        return DEFAULT_BUTTONS
    if not isinstance(raw, list):
        check.fail(f"{where}buttons", "must be a list of {title, action}")
        return DEFAULT_BUTTONS
    buttons = []
    for j, item in enumerate(raw):
        at = f"{where}buttons[{j}]."
        if not isinstance(item, Mapping):
            check.fail(at.rstrip("."), "must be a mapping with title and action")
            continue
        title = check.text(item, "title", at)
        if len(title) > 40:
            check.fail(f"{at}title", "keep a quick reply under 40 characters")
        action = item.get("action")
        if action not in BUTTON_ACTIONS:
            check.fail(f"{at}action", f"must be one of {', '.join(BUTTON_ACTIONS)}, got {action!r}")
            continue
        buttons.append(Button(title, ButtonAction(action)))
    return tuple(buttons)


def settings_from_dict(data: Any, source: str = "global_settings") -> GlobalSettings:
    """Validate the global settings mapping; raises ``CampaignError`` listing the problems."""
    if not isinstance(data, Mapping):
        raise CampaignError(source, ["global_settings must be a mapping"])
    check = FieldChecker()
    settings = GlobalSettings(
        holdout_share=check.number(data, "holdout_share", "", 0.05, low=0.0, high=0.5),
        max_offers_per_day=check.number(data, "max_offers_per_day", "", 1, low=1, whole=True),
        max_offers_per_week=check.number(data, "max_offers_per_week", "", 3, low=1, whole=True),
        attribution_days=check.number(data, "attribution_days", "", 14, low=1, high=90, whole=True),
    )
    for name in sorted(set(data) - set(GlobalSettings.__dataclass_fields__)):
        check.fail(name, "unknown setting")
    if check.problems:
        raise CampaignError(source, check.problems)
    return settings
