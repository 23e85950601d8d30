"""A year of demo orders: baskets drawn from each customer's taste, and what became of them.

Baskets follow the customer's favourite categories (seasonally adjusted), price band and
past purchases, and pull in the other members of a planted bundle. Each order then runs
through a realistic lifecycle up to ``now``: pending, processing, shipped with a carrier
and tracking number, delivered (or cancelled early), and some delivered orders see returns.
"""

from __future__ import annotations

import itertools
import math
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo_shop.calendar import ShopCalendar
from demo_shop.catalogue import Catalogue
from demo_shop.customers import (
    COUNTRIES,
    FIRST_NAMES,
    LAST_NAMES,
    CustomerProfile,
    favourite_categories,
    weighted,
)
from demo_shop.vocabulary import CATEGORIES

BAND_CENTRE = {"budget": 0.2, "mid": 0.5, "premium": 0.8}
BASKET_SIZES = ((1, 0.5), (2, 0.3), (3, 0.13), (4, 0.07))
MAX_LINES = 4
BUNDLE_TAKE_UP = 0.6  # chance of adding each other member of a bundle to the basket
UK_CARRIERS = (("Royal Mail", 0.45), ("Evri", 0.25), ("DPD", 0.2), ("DHL", 0.1))
TRANSIT_DAYS = {"Royal Mail": 2, "Evri": 3, "DPD": 1, "DHL": 2}
RETURN_REASONS = (
    ("Arrived damaged", 0.22),
    ("Not as described", 0.15),
    ("Changed my mind", 0.25),
    ("Wrong item sent", 0.08),
    ("Faulty", 0.12),
    ("Colour differs from the photos", 0.12),
    ("Arrived too late", 0.06),
)
# Share of delivered orders that see a return, by category of the returned line.
RETURN_RATE = {"clothing accessories": 0.12, "bags": 0.09, "jewellery": 0.08}
DEFAULT_RETURN_RATE = 0.05


@dataclass(frozen=True)
class Lifecycle:
    """Where an order stands at ``now``, with its shipment if it left the warehouse."""

    status: str
    cancelled_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: datetime | None = None
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None


@dataclass
class PlannedOrder:
    """An order before it gets its id and number (those follow placement order)."""

    customer_id: int | None
    email: str
    country: str
    placed_at: datetime
    lines: list[tuple[int, int]]  # (product index, quantity)
    lifecycle: Lifecycle | None = None
    fixture: str | None = None
    id: int = 0
    number: str = ""
    line_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedReturn:
    """A return of one order line."""

    order: PlannedOrder
    line: int  # position in ``order.lines``
    reason: str
    status: str
    created_at: datetime
    updated_at: datetime
    fixture: str | None = None


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class BasketPicker:
    """Draws baskets of products for a taste (categories, price band) at a moment."""

    def __init__(self, catalogue: Catalogue, calendar: ShopCalendar) -> None:
        self.catalogue = catalogue
        self.listed_at = [calendar.now - timedelta(days=p.age_days) for p in catalogue.products]
        self.bundle_of = [p.bundle for p in catalogue.products]
        self._pools: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        for category in CATEGORIES:
            members = [i for i, p in enumerate(catalogue.products) if p.category == category]
            by_price = sorted(members, key=lambda i: (catalogue.products[i].price, i))
            rank = {i: r / max(1, len(by_price) - 1) for r, i in enumerate(by_price)}
            for band, centre in BAND_CENTRE.items():
                weights = [
                    catalogue.products[i].popularity
                    * (math.exp(-((rank[i] - centre) ** 2) / (2 * 0.22**2)) + 0.05)
                    for i in members
                ]
                self._pools[(category, band)] = (members, list(itertools.accumulate(weights)))

    def pick_product(
        self, rng: random.Random, category: str, band: str, moment: datetime, exclude: list[int]
    ) -> int | None:
        """A product of ``category`` listed by ``moment``, favouring the band; None if none fits."""
        members, cumulative = self._pools[(category, band)]
        for _ in range(8):
            index = rng.choices(members, cum_weights=cumulative)[0]
            if self.listed_at[index] <= moment and index not in exclude:
                return index
        return None

    def pick_category(
        self, rng: random.Random, categories: dict[str, float], moment: datetime
    ) -> str:
        """Mostly a favourite category (seasonally weighted), sometimes any category."""
        if categories and rng.random() < 0.85:
            names = list(categories)
            weights = [categories[c] * ShopCalendar.category_factor(c, moment) for c in names]
        else:
            names = list(CATEGORIES)
            weights = [ShopCalendar.category_factor(c, moment) for c in names]
        return rng.choices(names, weights=weights)[0]

    def basket(
        self,
        rng: random.Random,
        categories: dict[str, float],
        band: str,
        moment: datetime,
        history: list[int] | None = None,
    ) -> list[tuple[int, int]]:
        """One to four lines: taste-driven picks plus the bundle partners they pull in."""
        wanted = weighted(rng, BASKET_SIZES)
        chosen: list[int] = []
        attempts = 0
        while len(chosen) < wanted and attempts < 12:
            attempts += 1
            if history and rng.random() < 0.2:  # a repeat purchase of something liked
                index: int | None = rng.choice(history)
                if index in chosen:
                    index = None
            else:
                category = self.pick_category(rng, categories, moment)
                index = self.pick_product(rng, category, band, moment, chosen)
            if index is None:
                continue
            chosen.append(index)
            bundle = self.bundle_of[index]
            if bundle is None:
                continue
            for partner in self.catalogue.bundles[bundle]:
                if (
                    len(chosen) < MAX_LINES
                    and partner not in chosen
                    and self.listed_at[partner] <= moment
                    and rng.random() < BUNDLE_TAKE_UP
                ):
                    chosen.append(partner)
        return [(index, self._quantity(rng, index)) for index in chosen]

    def _quantity(self, rng: random.Random, index: int) -> int:
        if self.catalogue.products[index].price < 7:  # cards, bulbs, sticky notes
            return rng.choice((1, 1, 2, 3, 4, 6))
        return weighted(rng, ((1, 0.78), (2, 0.15), (3, 0.04), (4, 0.03)))


def plan_customer_orders(
    rng: random.Random,
    customers: list[CustomerProfile],
    calendar: ShopCalendar,
    picker: BasketPicker,
) -> list[PlannedOrder]:
    """Every random customer's orders over the period, following their frequency and taste."""
    orders = []
    for customer in customers:
        if customer.frequency == "window_shopper":
            continue
        start, end = customer.active_span(calendar)
        years = (end - start).total_seconds() / (365 * 86400)
        if customer.frequency == "one_off":
            count = 1
        else:
            count = max(1, poisson(rng, customer.orders_per_year * years))
        garden = customer.categories.get("garden", 0.0)
        moments = sorted(calendar.sample_time(rng, start, end, garden) for _ in range(count))
        if customer.created_at >= calendar.start:  # new customers buy when they sign up
            first = customer.created_at + timedelta(minutes=rng.randint(2, 30))
            moments[0] = min(first, end)
            moments.sort()
        history: list[int] = []
        for moment in moments:
            lines = picker.basket(
                rng,
                customer.categories,
                customer.price_band,
                moment,
                history if customer.frequency == "loyal" else None,
            )
            if not lines:
                continue
            history.extend(index for index, _ in lines if index not in history)
            orders.append(
                PlannedOrder(customer.id, customer.email, customer.country, moment, lines)
            )
    return orders


def plan_guest_orders(
    rng: random.Random, count: int, calendar: ShopCalendar, picker: BasketPicker
) -> list[PlannedOrder]:
    """Guest checkouts: no account, an e-mail of their own, a passing taste."""
    orders = []
    for k in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalpha() or ch == ".")
        country = rng.choices(COUNTRIES, weights=[c[1] for c in COUNTRIES])[0][0]
        taste = favourite_categories(rng)
        moment = calendar.sample_time(rng, calendar.start, calendar.now, taste.get("garden", 0))
        band = weighted(rng, (("budget", 0.4), ("mid", 0.45), ("premium", 0.15)))
        lines = picker.basket(rng, taste, band, moment)
        if lines:
            orders.append(
                PlannedOrder(None, f"{local}.{k + 1}@example.net", country, moment, lines)
            )
    return orders


def tracking_number(rng: random.Random, carrier: str) -> str:
    """A tracking number in the carrier's usual format."""
    digits = string.digits
    if carrier == "Royal Mail":
        letters = "".join(rng.choices(string.ascii_uppercase, k=2))
        return f"{letters}{''.join(rng.choices(digits, k=9))}GB"
    if carrier == "DPD":
        return "155" + "".join(rng.choices(digits, k=11))
    if carrier == "Evri":
        return "H" + "".join(rng.choices(string.ascii_uppercase + digits, k=15))
    return "".join(rng.choices(digits, k=10))  # DHL


def shipment_times(
    rng: random.Random, placed_at: datetime, carrier: str, country: str
) -> tuple[datetime, datetime, datetime]:
    """Shipped, estimated delivery and actual delivery moments for an order."""
    shipped = placed_at + timedelta(hours=rng.uniform(16, 52))
    if shipped.weekday() == 6:  # the warehouse does not dispatch on Sundays
        shipped += timedelta(days=1)
    transit = TRANSIT_DAYS[carrier] + (0 if country == "United Kingdom" else 2)
    estimated = datetime.combine(
        (shipped + timedelta(days=transit)).date(), datetime.min.time()
    ) + timedelta(hours=18)
    actual_days = max(1, transit + weighted(rng, ((-1, 0.15), (0, 0.65), (1, 0.12), (3, 0.08))))
    delivered = datetime.combine(
        (shipped + timedelta(days=actual_days)).date(), datetime.min.time()
    ) + timedelta(minutes=rng.randint(480, 1140))
    return shipped.replace(microsecond=0), estimated, delivered


def lifecycle(rng: random.Random, order: PlannedOrder, now: datetime) -> Lifecycle:
    """Where a randomly simulated order stands at ``now``."""
    placed = order.placed_at
    if rng.random() < 0.025:  # cancelled by the customer before dispatch
        cancelled = (placed + timedelta(minutes=rng.uniform(10, 1200))).replace(microsecond=0)
        if cancelled <= now:
            return Lifecycle("cancelled", cancelled_at=cancelled)
    processing = placed + timedelta(minutes=rng.uniform(20, 480))
    if order.country == "United Kingdom":
        carrier = weighted(rng, UK_CARRIERS)
    else:
        carrier = "DHL" if rng.random() < 0.8 else "DPD"
    shipped, estimated, delivered = shipment_times(rng, placed, carrier, order.country)
    number = tracking_number(rng, carrier)
    if now < processing:
        return Lifecycle("pending")
    if now < shipped:
        return Lifecycle("processing")
    if now < delivered:
        return Lifecycle("shipped", None, carrier, number, shipped, estimated, None)
    return Lifecycle("delivered", None, carrier, number, shipped, estimated, delivered)


def return_status(rng: random.Random, created: datetime, now: datetime) -> tuple[str, datetime]:
    """A return's status and last update, by how long ago it was requested."""
    age = (now - created).total_seconds() / 86400
    if age >= 2 and rng.random() < 0.08:
        return "rejected", created + timedelta(days=rng.uniform(1, 2))
    for status, days in (("refunded", 9), ("received", 4), ("approved", 1.5)):
        if age >= days:
            step = timedelta(days=days, hours=rng.uniform(0, 10))
            return status, min(now, created + step)
    return "requested", created


def plan_returns(
    rng: random.Random, orders: list[PlannedOrder], catalogue: Catalogue, now: datetime
) -> list[PlannedReturn]:
    """Returns on some delivered orders, requested within four weeks of delivery."""
    returns = []
    for order in orders:
        life = order.lifecycle
        if order.fixture or life is None or life.status != "delivered" or not life.delivered_at:
            continue
        categories = [catalogue.products[i].category for i, _ in order.lines]
        rate = max(RETURN_RATE.get(c, DEFAULT_RETURN_RATE) for c in categories)
        if rng.random() >= rate:
            continue
        created = life.delivered_at + timedelta(days=min(27.0, rng.expovariate(1 / 5)) + 0.1)
        created = created.replace(microsecond=0)
        if created > now:
            continue
        line = rng.randrange(len(order.lines))
        status, updated = return_status(rng, created, now)
        returns.append(
            PlannedReturn(
                order,
                line,
                weighted(rng, RETURN_REASONS),
                status,
                created,
                updated.replace(microsecond=0),
            )
        )
    return returns
