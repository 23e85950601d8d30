"""The FAQ answers, worded from the shop policy's values (store/shop_policy.yml).

Every number comes from the policy file: nothing here states a fact the file does not
hold, so a change there changes what customers are told without a code change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from concierge.formatting import join_words, money
from store.policy import WEEKDAYS, DayHours, ShopPolicy

TOPICS = (
    "shipping_costs",
    "shipping_times",
    "return_policy",
    "payment_methods",
    "warranty",
    "opening_hours",
)
_CURRENCY_NAMES = {"GBP": "pounds sterling", "EUR": "euros", "USD": "US dollars"}


class UnknownTopic(ValueError):
    """An FAQ topic the policy has no answer for."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        super().__init__(f"no policy answer for topic {topic!r}; known topics: {', '.join(TOPICS)}")


def policy_answer(policy: ShopPolicy, topic: str) -> str:
    """The customer-facing answer for an FAQ topic; raises UnknownTopic otherwise."""
    composer = _ANSWERS.get(topic)
    if composer is None:
        raise UnknownTopic(topic)
    return composer(policy)


def _shipping_costs(policy: ShopPolicy) -> str:
    sentences = []
    for opt in policy.shipping_options:
        sentence = f"{opt.name} costs {money(opt.cost, policy.currency)}"
        if opt.free_over is not None:
            sentence += f" and is free on orders over {money(opt.free_over, policy.currency)}"
        if opt.order_by is not None:
            sentence += f" (order by {_clock(opt.order_by)} on a working day)"
        if policy.goes_abroad(opt):
            sentence += f"; it goes to {join_words(opt.countries)}"
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _shipping_times(policy: ShopPolicy) -> str:
    sentences = []
    for opt in policy.shipping_options:
        if opt.max_days == 1:
            when = "arrives the next working day"
            if opt.order_by is not None:
                when += f" when you order by {_clock(opt.order_by)}"
        elif opt.min_days == opt.max_days:
            when = f"takes {opt.max_days} working days"
        else:
            when = f"takes {opt.min_days}–{opt.max_days} working days"
        where = f" to {join_words(opt.countries)}" if policy.goes_abroad(opt) else ""
        sentences.append(f"{opt.name}{where} {when}.")
    sentences.append(
        "Once your order has shipped, give me the order number and I'll tell you "
        "where your parcel is."
    )
    return " ".join(sentences)


def _return_policy(policy: ShopPolicy) -> str:
    postage = (
        f"Returns from the {policy.home_country} are free: we send you a prepaid label."
        if policy.free_returns
        else "Return postage is paid by you unless the item arrived faulty."
    )
    return (
        f"You can return any item within {policy.return_window_days} days of delivery. "
        f"{postage} We refund you within {policy.refund_days} working days of the "
        "item reaching us. Tell me your order number and I'll start the return for you."
    )


def _payment_methods(policy: ShopPolicy) -> str:
    return (
        f"We accept {join_words(policy.payment_methods)}. "
        f"Prices are charged in {_CURRENCY_NAMES.get(policy.currency, policy.currency)}."
    )


def _warranty(policy: ShopPolicy) -> str:
    years = f" ({policy.warranty_months // 12}-year)" if policy.warranty_months % 12 == 0 else ""
    return (
        f"Everything we sell comes with a {policy.warranty_months}-month{years} warranty "
        f"against {policy.warranty_covers}. If something stops working, tell me the order "
        f"number, or contact our team at {policy.contact_email} or on {policy.contact_phone}."
    )


def _opening_hours(policy: ShopPolicy) -> str:
    spans = []
    for first, last, hours in _group_days(policy.opening_hours):
        days = _day_span(first, last)
        if hours.closed:
            spans.append(f"closed on {days}")
        else:
            spans.append(f"{days} {_clock(hours.opens)}–{_clock(hours.closes)}")
    return (
        f"Our customer service team is available {join_words(spans)} (UK time). "
        f"You can reach them at {policy.contact_email} or on {policy.contact_phone}. "
        "I'm here around the clock for orders, returns and questions."
    )


_ANSWERS: dict[str, Callable[[ShopPolicy], str]] = {
    "shipping_costs": _shipping_costs,
    "shipping_times": _shipping_times,
    "return_policy": _return_policy,
    "payment_methods": _payment_methods,
    "warranty": _warranty,
    "opening_hours": _opening_hours,
}


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
