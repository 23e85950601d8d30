"""Browsing events for the demo shop: product views, searches, add-to-cart, wishlists.

Events come from two kinds of visit. A purchase visit precedes every order: perhaps a
search, views of the bought products and of alternatives, then add-to-cart. A browsing
visit follows the customer's taste, and after a purchase often looks at what goes with
it (the other members of a bundle, the same category), some ending in an abandoned cart.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from datetime import datetime, timedelta

from demo_shop.calendar import ShopCalendar
from demo_shop.customers import CustomerProfile
from demo_shop.orders import BasketPicker, PlannedOrder, poisson

# (customer id, product index or None, kind, search query or None, moment)
PlannedEvent = tuple[int, int | None, str, str | None, datetime]


def search_query(rng: random.Random, title: str) -> str:
    """What somebody looking for this product might type, e.g. "bedside lamp"."""
    name = title.split(",")[0].split(" with ")[0]  # "Lamp with Linen Shade" -> "Lamp"
    words = [w for w in name.split() if w.isalpha()]
    query = words[-2:]
    if len(words) > 2 and rng.random() < 0.3:
        query = [words[-3], *query]
    return " ".join(query).lower()


def _purchase_visit(
    rng: random.Random, order: PlannedOrder, picker: BasketPicker, not_before: datetime
) -> list[PlannedEvent]:
    products = picker.catalogue.products
    bought = [index for index, _ in order.lines]
    customer = order.customer_id
    assert customer is not None
    start = max(not_before, order.placed_at - timedelta(minutes=rng.uniform(5, 60)))
    span = max(1.0, (order.placed_at - start).total_seconds() - 60)
    events: list[PlannedEvent] = []
    if rng.random() < 0.35:
        events.append(
            (customer, None, "search", search_query(rng, products[bought[0]].title), start)
        )
    browsed = list(bought)
    for _ in range(rng.randint(0, 3)):  # alternatives looked at but not bought
        alternative = picker.pick_product(
            rng, products[bought[0]].category, "mid", order.placed_at, browsed
        )
        if alternative is not None:
            browsed.append(alternative)
    rng.shuffle(browsed)
    for index in browsed:
        moment = start + timedelta(seconds=rng.uniform(1, span))
        events.append((customer, index, "view", None, moment.replace(microsecond=0)))
    for index in bought:
        moment = order.placed_at - timedelta(seconds=rng.uniform(20, 55))
        events.append((customer, index, "add_to_cart", None, moment.replace(microsecond=0)))
    return events


def _browsing_visit(
    rng: random.Random,
    customer: CustomerProfile,
    moment: datetime,
    picker: BasketPicker,
    bought_before: list[int],
) -> list[PlannedEvent]:
    products = picker.catalogue.products
    viewed: list[int] = []
    query = None
    if bought_before and rng.random() < 0.35:  # what goes with something they bought
        anchor = rng.choice(bought_before)
        bundle = picker.bundle_of[anchor]
        if bundle is not None:
            viewed = [p for p in picker.catalogue.bundles[bundle] if p != anchor]
        category = products[anchor].category
    else:
        category = picker.pick_category(rng, customer.categories, moment)
    for _ in range(rng.randint(2, 5) - len(viewed)):
        index = picker.pick_product(rng, category, customer.price_band, moment, viewed)
        if index is not None:
            viewed.append(index)
    viewed = [i for i in viewed if picker.listed_at[i] <= moment]
    if not viewed:
        return []
    events: list[PlannedEvent] = []
    if rng.random() < 0.25:
        query = search_query(rng, products[viewed[0]].title)
        events.append((customer.id, None, "search", query, moment))
    for index in viewed:
        moment += timedelta(seconds=rng.randint(15, 180))
        events.append((customer.id, index, "view", None, moment))
    roll = rng.random()
    if roll < 0.15:  # an abandoned cart
        events.append(
            (
                customer.id,
                rng.choice(viewed),
                "add_to_cart",
                None,
                moment + timedelta(seconds=rng.randint(10, 90)),
            )
        )
    elif roll < 0.2:
        events.append(
            (
                customer.id,
                rng.choice(viewed),
                "wishlist",
                None,
                moment + timedelta(seconds=rng.randint(10, 90)),
            )
        )
    return events


def plan_events(
    rng: random.Random,
    customers: list[CustomerProfile],
    orders: list[PlannedOrder],
    picker: BasketPicker,
    calendar: ShopCalendar,
) -> list[PlannedEvent]:
    """All browsing events of the period, sorted by time."""
    by_customer: dict[int, list[PlannedOrder]] = defaultdict(list)
    for order in orders:
        if order.customer_id is not None:
            by_customer[order.customer_id].append(order)
    events: list[PlannedEvent] = []
    for customer in customers:
        own = sorted(by_customer.get(customer.id, []), key=lambda o: o.placed_at)
        for order in own:
            events.extend(_purchase_visit(rng, order, picker, customer.created_at))
        start, end = customer.active_span(calendar)
        years = (end - start).total_seconds() / (365 * 86400)
        placed = [o.placed_at for o in own]
        garden = customer.categories.get("garden", 0.0)
        for _ in range(poisson(rng, customer.browse_per_year * years)):
            moment = calendar.sample_time(rng, start, end, garden)
            earlier = own[: bisect.bisect_left(placed, moment)]
            bought = [index for o in earlier for index, _ in o.lines]
            events.extend(_browsing_visit(rng, customer, moment, picker, bought))
    events = [e for e in events if e[4] <= calendar.now]
    events.sort(key=lambda e: (e[4], e[0], e[2], e[1] if e[1] is not None else -1))
    return events
