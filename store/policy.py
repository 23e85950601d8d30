"""The shop's service policy (store/shop_policy.yml) and the FAQ answers built from it.

``load_policy`` validates the whole file up front, so a typo fails at start-up with the
name of the bad key instead of surfacing as a wrong answer to a customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml

from store.policy_yaml import PolicyError
from store.policy_yaml import Reader as _Reader
from store.policy_yaml import parse_time as _parse_time
from store.working_days import add_working_days, check_region

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TOPICS = (
    "shipping_costs",
    "shipping_times",
    "return_policy",
    "payment_methods",
    "warranty",
    "opening_hours",
)
_CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
_CURRENCY_NAMES = {"GBP": "pounds sterling", "EUR": "euros", "USD": "US dollars"}


class UnknownTopic(ValueError):
    """An FAQ topic the policy has no answer for."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        super().__init__(f"no policy answer for topic {topic!r}; known topics: {', '.join(TOPICS)}")


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

    def dispatch_due(self, placed_on: date) -> date:
        """The working day by which an order placed on ``placed_on`` should leave the warehouse."""
        return add_working_days(placed_on, self.dispatch_working_days, self.holiday_region)

    def money(self, amount: float) -> str:
        """``amount`` in the shop currency, e.g. £3.95 or £50."""
        symbol = _CURRENCY_SYMBOLS.get(self.currency, f"{self.currency} ")
        return f"{symbol}{amount:.0f}" if amount == int(amount) else f"{symbol}{amount:.2f}"

    def hours_on(self, day: str) -> DayHours:
        """The support team's hours on a weekday name such as ``"monday"``."""
        return next(h for h in self.opening_hours if h.day == day.lower())

    def answer(self, topic: str) -> str:
        """The customer-facing answer for an FAQ topic; raises UnknownTopic otherwise."""
        composer = _ANSWERS.get(topic)
        if composer is None:
            raise UnknownTopic(topic)
        return composer(self)

    # The composers below keep every number in the YAML: nothing here states a fact the
    # file does not hold.

    def _shipping_costs(self) -> str:
        sentences = []
        for opt in self.shipping_options:
            sentence = f"{opt.name} costs {self.money(opt.cost)}"
            if opt.free_over is not None:
                sentence += f" and is free on orders over {self.money(opt.free_over)}"
            if opt.order_by is not None:
                sentence += f" (order by {_clock(opt.order_by)} on a working day)"
            if self._abroad(opt):
                sentence += f"; it goes to {_join(opt.countries)}"
            sentences.append(sentence + ".")
        return " ".join(sentences)

    def _shipping_times(self) -> str:
        sentences = []
        for opt in self.shipping_options:
            if opt.max_days == 1:
                when = "arrives the next working day"
                if opt.order_by is not None:
                    when += f" when you order by {_clock(opt.order_by)}"
            elif opt.min_days == opt.max_days:
                when = f"takes {opt.max_days} working days"
            else:
                when = f"takes {opt.min_days}–{opt.max_days} working days"
            where = f" to {_join(opt.countries)}" if self._abroad(opt) else ""
            sentences.append(f"{opt.name}{where} {when}.")
        sentences.append(
            "Once your order has shipped, give me the order number and I'll tell you "
            "where your parcel is."
        )
        return " ".join(sentences)

    def _return_policy(self) -> str:
        postage = (
            f"Returns from the {self.home_country} are free: we send you a prepaid label."
            if self.free_returns
            else "Return postage is paid by you unless the item arrived faulty."
        )
        return (
            f"You can return any item within {self.return_window_days} days of delivery. "
            f"{postage} We refund you within {self.refund_days} working days of the "
            "item reaching us. Tell me your order number and I'll start the return for you."
        )

    def _payment_methods(self) -> str:
        return (
            f"We accept {_join(self.payment_methods)}. "
            f"Prices are charged in {_CURRENCY_NAMES.get(self.currency, self.currency)}."
        )

    def _warranty(self) -> str:
        years = f" ({self.warranty_months // 12}-year)" if self.warranty_months % 12 == 0 else ""
        return (
            f"Everything we sell comes with a {self.warranty_months}-month{years} warranty "
            f"against {self.warranty_covers}. If something stops working, tell me the order "
            f"number, or contact our team at {self.contact_email} or on {self.contact_phone}."
        )

    def _opening_hours(self) -> str:
        spans = []
        for first, last, hours in _group_days(self.opening_hours):
            days = _day_span(first, last)
            if hours.closed:
                spans.append(f"closed on {days}")
            else:
                spans.append(f"{days} {_clock(hours.opens)}–{_clock(hours.closes)}")
        return (
            f"Our customer service team is available {_join(spans)} (UK time). "
            f"You can reach them at {self.contact_email} or on {self.contact_phone}. "
            "I'm here around the clock for orders, returns and questions."
        )

    def _abroad(self, opt: ShippingOption) -> bool:
        return tuple(opt.countries) != (self.home_country,)


_ANSWERS: dict[str, Callable[[ShopPolicy], str]] = {
    "shipping_costs": ShopPolicy._shipping_costs,
    "shipping_times": ShopPolicy._shipping_times,
    "return_policy": ShopPolicy._return_policy,
    "payment_methods": ShopPolicy._payment_methods,
    "warranty": ShopPolicy._warranty,
    "opening_hours": ShopPolicy._opening_hours,
}


def _join(items: tuple[str, ...] | list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _day_span(first: str, last: str) -> str:
    """A run of weekdays as said aloud: Monday; Saturday and Sunday; Monday to Friday."""
    span = WEEKDAYS.index(last) - WEEKDAYS.index(first)
    if span == 0:
        return first.capitalize()
    joiner = " and " if span == 1 else " to "
    return f"{first.capitalize()}{joiner}{last.capitalize()}"


def _clock(t: time | None) -> str:
    """12-hour clock as people in the UK say it: 9am, 5:30pm, 12pm."""
    if t is None:
        return ""
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def _group_days(hours: tuple[DayHours, ...]) -> list[tuple[str, str, DayHours]]:
    """Runs of consecutive weekdays with the same hours: (first, last, hours)."""
    runs: list[tuple[str, str, DayHours]] = []
    for h in hours:
        if runs and (runs[-1][2].opens, runs[-1][2].closes) == (h.opens, h.closes):
            runs[-1] = (runs[-1][0], h.day, runs[-1][2])
        else:
            runs.append((h.day, h.day, h))
    return runs


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
    )
    for section in (top, shop, returns, warranty, support, warehouse):
        section.reject_unknown()
    return policy


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
