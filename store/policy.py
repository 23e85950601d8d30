"""The shop's service policy (store/shop_policy.yml) as typed values.

The FAQ answers are worded from these values on the actions side
(``actions.messages.policy_answers``); the store holds the facts, never the sentences.

``load_policy`` validates the whole file up front, so a typo fails at start-up with the
name of the bad key instead of surfacing as a wrong answer to a customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml

from store.not_served import OTHER, NotServedTopic
from store.policy_yaml import PolicyError
from store.policy_yaml import Reader as _Reader
from store.policy_yaml import parse_time as _parse_time
from store.working_days import add_working_days, check_region

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class ShippingOption:
    """One way of delivering an order."""

    name: str
    cost: float
    free_over: float | None
    min_days: int
    max_days: int
    countries: tuple[str, ...]
    order_by: time | None = None


@dataclass(frozen=True)
class DayHours:
    """When the human support team works on one weekday (``opens`` None = closed)."""

    day: str
    opens: time | None
    closes: time | None

    @property
    def closed(self) -> bool:
        """True when nobody answers that day."""
        return self.opens is None


@dataclass(frozen=True)
class ShopPolicy:
    """Every number the assistant may quote to a customer."""

    shop_name: str
    currency: str
    home_country: str
    return_window_days: int
    free_returns: bool
    refund_days: int
    shipping_options: tuple[ShippingOption, ...]
    payment_methods: tuple[str, ...]
    warranty_months: int
    warranty_covers: str
    opening_hours: tuple[DayHours, ...]
    contact_email: str
    contact_phone: str
    dispatch_working_days: int
    # ISO country code, optionally with a subdivision ("GB-ENG"); None = weekends only.
    holiday_region: str | None = None
    # Requests the chat leaves to the team (store/not_served.py); always has an "other" topic.
    not_served_here: tuple[NotServedTopic, ...] = ()

    def dispatch_due(self, placed_on: date) -> date:
        """The working day by which an order placed on ``placed_on`` should leave the warehouse."""
        return add_working_days(placed_on, self.dispatch_working_days, self.holiday_region)

    def hours_on(self, day: str) -> DayHours:
        """The support team's hours on a weekday name such as ``"monday"``."""
        return next(h for h in self.opening_hours if h.day == day.lower())

    def goes_abroad(self, opt: ShippingOption) -> bool:
        """True when ``opt`` delivers anywhere but the shop's home country."""
        return tuple(opt.countries) != (self.home_country,)


def load_policy(path: str | Path) -> ShopPolicy:
    """Read and validate a policy YAML file; raises PolicyError naming the bad key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError("(file)", "does not exist", path) from None
    except OSError as exc:
        raise PolicyError("(file)", f"cannot be read: {exc.strerror}", path) from None
    except yaml.YAMLError as exc:
        raise PolicyError("(file)", f"is not valid YAML: {exc}", path) from None
    try:
        return _parse(_Reader(raw, ""))
    except PolicyError as exc:
        raise PolicyError(exc.key, exc.problem, path) from None


def _parse(top: _Reader) -> ShopPolicy:
    shop = top.section("shop")
    returns = top.section("returns")
    warranty = top.section("warranty")
    support = top.section("support")
    warehouse = top.section("warehouse")
    policy = ShopPolicy(
        shop_name=shop.text("name"),
        currency=shop.text("currency").upper(),
        home_country=shop.text("country"),
        return_window_days=returns.whole("window_days", minimum=1),
        free_returns=returns.boolean("free_returns"),
        refund_days=returns.whole("refund_days", minimum=1),
        shipping_options=_parse_shipping(top),
        payment_methods=top.texts("payment_methods"),
        warranty_months=warranty.whole("months", minimum=1),
        warranty_covers=warranty.text("covers"),
        opening_hours=_parse_hours(support.section("opening_hours")),
        contact_email=_parse_email(support),
        contact_phone=support.text("phone"),
        dispatch_working_days=warehouse.whole("dispatch_working_days", minimum=0),
        holiday_region=_parse_region(warehouse),
        not_served_here=_parse_not_served(top.section("not_served_here")),
    )
    for section in (top, shop, returns, warranty, support, warehouse):
        section.reject_unknown()
    return policy


def _parse_not_served(section: _Reader) -> tuple[NotServedTopic, ...]:
    topics = []
    for name in section.data:
        topic = section.section(str(name))
        keywords = topic.raw("keywords")
        if not isinstance(keywords, list) or not all(
            isinstance(k, str) and k.strip() for k in keywords
        ):
            raise PolicyError(topic._name("keywords"), f"must be a list of text, got {keywords!r}")
        if not keywords and name != OTHER:
            raise PolicyError(topic._name("keywords"), "must name at least one keyword")
        words = tuple(" ".join(k.lower().split()) for k in keywords)
        topics.append(NotServedTopic(str(name), words, " ".join(topic.text("answer").split())))
        topic.reject_unknown()
    if OTHER not in section.data:
        raise PolicyError(section._name(OTHER), "is missing (the answer when no keyword matches)")
    return tuple(topics)


def _parse_region(warehouse: _Reader) -> str | None:
    code = warehouse.raw("holidays", optional=True)
    if code is None:
        return None
    if not isinstance(code, str) or not code.strip():
        raise PolicyError(
            warehouse._name("holidays"), f'must be a country code like "GB-ENG", got {code!r}'
        )
    try:
        return check_region(code)
    except ValueError as exc:
        raise PolicyError(warehouse._name("holidays"), str(exc)) from None


def _parse_shipping(top: _Reader) -> tuple[ShippingOption, ...]:
    options = top.raw("shipping")
    if not isinstance(options, list) or not options:
        raise PolicyError("shipping", "must be a non-empty list of delivery options")
    parsed = []
    for i, item in enumerate(options):
        opt = _Reader(item, f"shipping[{i}]")
        min_days = opt.whole("min_days", minimum=1)
        max_days = opt.whole("max_days", minimum=1)
        if max_days < min_days:
            raise PolicyError(f"shipping[{i}].max_days", f"must not be below min_days ({min_days})")
        parsed.append(
            ShippingOption(
                name=opt.text("name"),
                cost=opt.amount("cost") or 0.0,
                free_over=opt.amount("free_over", optional=True),
                min_days=min_days,
                max_days=max_days,
                countries=opt.texts("countries"),
                order_by=opt.clock("order_by", optional=True),
            )
        )
        opt.reject_unknown()
    return tuple(parsed)


def _parse_hours(hours: _Reader) -> tuple[DayHours, ...]:
    unknown = sorted(set(hours.data) - set(WEEKDAYS), key=str)
    if unknown:
        raise PolicyError(
            hours._name(str(unknown[0])), f"is not a weekday (use {', '.join(WEEKDAYS)})"
        )
    parsed = []
    for day in WEEKDAYS:
        value = hours.raw(day)
        key = hours._name(day)
        if isinstance(value, str) and value.strip().lower() == "closed":
            parsed.append(DayHours(day, None, None))
            continue
        opens, closes = _parse_span(value)
        if opens is None or closes is None or opens >= closes:
            raise PolicyError(key, f'must be "closed" or hours like "09:00-17:30", got {value!r}')
        parsed.append(DayHours(day, opens, closes))
    return tuple(parsed)


def _parse_span(value: Any) -> tuple[time | None, time | None]:
    if not isinstance(value, str) or value.count("-") != 1:
        return None, None
    start, end = value.split("-")
    return _parse_time(start), _parse_time(end)


def _parse_email(support: _Reader) -> str:
    email = support.text("email")
    local, _, domain = email.partition("@")
    if not local or "." not in domain:
        raise PolicyError(support._name("email"), f"must be an e-mail address, got {email!r}")
    return email
