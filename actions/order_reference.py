"""Which of her own orders a signed-in customer means, from the words she used.

A signed-in customer says "the one I ordered last week", "my last order" or "the lamp
order" rather than a number; the bot knows her orders, so it should not ask for one.
``resolve_reference`` narrows her orders by the date words, then the product words, then
the recency words of a message, and says whether the message referred to an order at all
(so a form can tell "no such order" from "that was not about an order"). Pure: the orders
and ``now`` come in, nothing is read or written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from store.views import OrderView

_WORD = re.compile(r"[a-z0-9]+")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_SHORT = {d[:3]: i for i, d in enumerate(_WEEKDAYS)} | {"tues": 1, "thur": 3, "thurs": 3}
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)  # fmt: skip
_MONTH_SHORT = {m[:3]: i + 1 for i, m in enumerate(_MONTHS) if m != "may"} | {"sept": 9}
_LATEST = re.compile(
    r"\b(?:(?:my|the)\s+)?(?:last|latest|most recent|newest|recent|lastest|lattest)\b"
    r"(?!\s+(?:week|month|year|mon|tue|wed|thu|fri|sat|sun))"
)
_PREVIOUS = re.compile(
    r"\b(?:previous|one before|before that|before last|the other one|earlier one|older one)\b"
)
_OLDEST = re.compile(r"\b(?:oldest|first order|first one i|very first)\b")
_DAYS_AGO = re.compile(
    r"\b(\d{1,2}|a|one|two|three|four|five|six|a few|few|couple of)\s+days?\s+ago"
)
_WEEKS_AGO = re.compile(r"\b(\d|a|one|two|three|a couple of|couple of)\s+weeks?\s+ago")
_NUMBER_WORDS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "a few": 3, "few": 3, "couple of": 2, "a couple of": 2,
}  # fmt: skip
# Words that never name a product, so "my order from last week" has no product words.
_NOT_PRODUCT_WORDS = """
    a an the my me i im i've ive id it its is was are were be been one ones order orders
    ordered ordering parcel parcels package delivery deliveries bought buy got get placed
    place made from on in at of for with that this these those which what where when whats
    wheres last latest recent most newest previous before other earlier older oldest first
    week weeks month months year years day days ago today yesterday tonight morning
    afternoon evening night back about and or to please pls thanks thank you can could would
    want like know tell status track tracking return cancel cancelling send still hasnt
    hasn't havent not no yet arrived come came thing stuff item items purchase purchases
    just only few couple two three four five six hi hello hey so but some any all
    """
_NOT_PRODUCT = frozenset(
    _NOT_PRODUCT_WORDS.split()
    + list(_WEEKDAYS)
    + list(_MONTHS)
    + list(_WEEKDAY_SHORT)
    + list(_MONTH_SHORT)
)


@dataclass(frozen=True)
class Resolution:
    """What a message says about her orders.

    ``referred`` is False when the message held no date, product or recency words;
    ``orders`` are the orders that fit, newest first (one when it is clear).
    """

    referred: bool
    orders: tuple[OrderView, ...]

    @property
    def order(self) -> OrderView | None:
        """The one order meant, or None when none or several fit."""
        return self.orders[0] if self.referred and len(self.orders) == 1 else None


def resolve_reference(text: str, orders: Sequence[OrderView], now: datetime) -> Resolution:
    """The orders (newest first) that ``text`` refers to, by date, product and recency."""
    said = " ".join(_WORD.findall(text.casefold().replace("'", "")))
    pool = sorted(orders, key=lambda o: o.placed_at, reverse=True)
    referred = False

    span = date_span(said, now)
    if span is not None:
        referred = True
        start, end = span
        pool = [o for o in pool if start <= o.placed_at.date() <= end]

    # Only words that name something she bought count: "where the hell is it" names nothing.
    # The orders sharing the most words win: "the table lamp" beats a bedside lamp.
    wanted = product_words(said)
    overlap = {o.number: len(wanted & _order_words(o)) for o in pool}
    best = max(overlap.values(), default=0)
    if best > 0:
        referred = True
        pool = [o for o in pool if overlap[o.number] == best]

    if _PREVIOUS.search(said):
        return Resolution(True, tuple(pool[1:2]))
    if _OLDEST.search(said):
        return Resolution(True, tuple(pool[-1:]))
    if _LATEST.search(said):
        return Resolution(True, tuple(pool[:1]))
    return Resolution(referred, tuple(pool) if referred else ())


def date_span(said: str, now: datetime) -> tuple[date, date] | None:
    """The days (first, last) that date words in ``said`` cover, or None without any."""
    today = now.date()
    if re.search(r"\btoday\b|\bthis morning\b|\bearlier today\b", said):
        return today, today
    if re.search(r"\byesterday\b|\blast night\b", said):
        return today - timedelta(days=1), today - timedelta(days=1)
    if re.search(r"\blast week\b|\ba week ago\b|\bthe week before\b", said):
        monday = today - timedelta(days=today.weekday())
        # "last week" is loose talk: the calendar week before, or the last seven days.
        return min(monday - timedelta(days=7), today - timedelta(days=7)), monday - timedelta(
            days=1
        )
    if re.search(r"\bthis week\b", said):
        return today - timedelta(days=today.weekday()), today
    if re.search(r"\blast month\b|\ba month ago\b", said):
        first = today.replace(day=1)
        previous_last = first - timedelta(days=1)
        return previous_last.replace(day=1), previous_last
    if re.search(r"\bthis month\b", said):
        return today.replace(day=1), today
    ago = _ago_span(said, today)
    if ago is not None:
        return ago
    weekday = _weekday(said)
    if weekday is not None:
        back = (today.weekday() - weekday) % 7 or 7
        day = today - timedelta(days=back)
        return day, day
    month = _month(said)
    if month is not None:
        year = today.year if month <= today.month else today.year - 1
        start = date(year, month, 1)
        end = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
        return start, end
    return None


def product_words(said: str) -> set[str]:
    """The words of ``said`` that may name a product ("lamp", "candles" -> "candle")."""
    return {_stem(w) for w in _WORD.findall(said) if w not in _NOT_PRODUCT and not w.isdigit()}


def _ago_span(said: str, today: date) -> tuple[date, date] | None:
    days = _DAYS_AGO.search(said)
    if days:
        n = _count(days.group(1))
        # "a few days ago" is never exact: allow a day either side.
        return today - timedelta(days=n + 1), today - timedelta(days=max(n - 1, 0))
    weeks = _WEEKS_AGO.search(said)
    if weeks:
        n = _count(weeks.group(1))
        return today - timedelta(days=7 * n + 4), today - timedelta(days=max(7 * n - 4, 0))
    return None


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 1)


def _weekday(said: str) -> int | None:
    for word in _WORD.findall(said):
        plain = word.removesuffix("s") if word.endswith("days") else word
        if plain in _WEEKDAYS:
            return _WEEKDAYS.index(plain)
        if word in _WEEKDAY_SHORT and re.search(rf"\b(?:on|last)\s+{word}\b", said):
            return _WEEKDAY_SHORT[word]
    return None


def _month(said: str) -> int | None:
    for word in _WORD.findall(said):
        if word in _MONTHS and (word != "may" or re.search(r"\b(?:in|from|of)\s+may\b", said)):
            return _MONTHS.index(word) + 1
        if word in _MONTH_SHORT and re.search(rf"\b(?:in|from|of)\s+{word}\b", said):
            return _MONTH_SHORT[word]
    return None


def _stem(word: str) -> str:
    """A crude plural stemmer, applied alike to what was said and to product titles."""
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _order_words(order: OrderView) -> set[str]:
    words: set[str] = set()
    for line in order.lines:
        words |= {_stem(w) for w in _WORD.findall(f"{line.title} {line.category}".casefold())}
    return words
