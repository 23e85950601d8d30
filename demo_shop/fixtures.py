"""Fixed demo customers with known orders that the README, the demo and the tests rely on.

Anna Smith (anna.smith@example.com, marketing consent) has an order in transit, one
delivered recently (inside any sensible return window), one delivered long ago (window
passed), one pending (still cancellable) and an older delivered order. Ben Carter
(ben.carter@example.org, no marketing consent) has an order being processed, a cancelled
one, a delivered one with an open return, and an older delivered one. Clara Evans
(clara.evans@example.com, marketing consent) has three delivered orders, the last about 90
days ago, and chatted with us once when it was on its way: opening the chat again she is a
lapsed, returning customer, which is what the ``welcome-back`` sample campaign is for.
Sam Taylor checked out as a guest (sam.taylor@example.net). The order numbers depend on
the seed and ``now``, so the generator reports them by these names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from demo_shop.calendar import ShopCalendar
from demo_shop.catalogue import Catalogue
from demo_shop.customers import CustomerProfile
from demo_shop.orders import (
    BasketPicker,
    Lifecycle,
    PlannedOrder,
    PlannedReturn,
    tracking_number,
)

ANNA_EMAIL = "anna.smith@example.com"
BEN_EMAIL = "ben.carter@example.org"
CLARA_EMAIL = "clara.evans@example.com"
GUEST_EMAIL = "sam.taylor@example.net"
GUEST_NAME = "Sam Taylor"
RESERVED_EMAILS = (ANNA_EMAIL, BEN_EMAIL, CLARA_EMAIL, GUEST_EMAIL)
# Not 3: promotion arms are a stable hash of customer id and campaign, and customer 3 falls
# in welcome-back's control group, so Clara would never see the offer she is here to show.
# tests/demo_shop/test_fixtures.py fails if a change to the hash or campaign moves her.
CLARA_ID = 4
CLARA_LAST_ORDER_DAYS = 90

# What to try as each demo customer; the chat's customer picker shows these by e-mail.
DEMO_HINTS: dict[str, str] = {
    ANNA_EMAIL: "Try “where is my order?”, cancelling the pending one, or a return.",
    BEN_EMAIL: "Try his open return. No marketing consent, so he never sees an offer.",
    CLARA_EMAIL: "Say hi: away for three months, she's offered a welcome-back coupon.",
}

# Word tables read best as paragraphs:
# fmt: off
# name -> (customer key, days before now it was placed, status, [(category, title word)])
FIXTURE_ORDERS: tuple[tuple[str, str, float, str, tuple[tuple[str, str], ...]], ...] = (
    ("anna_history", "anna", 200, "delivered",
     (("home decor", "Velvet Cushion Cover"), ("home decor", "Cushion Pad"))),
    ("anna_delivered_old", "anna", 120, "delivered", (("home decor", "Vase"),)),
    ("anna_delivered", "anna", 9, "delivered",
     (("lighting", "Table Lamp"), ("home decor", "Throw"))),
    ("anna_shipped", "anna", 3, "shipped",
     (("lighting", "Bedside Lamp"), ("lighting", "Drum Shade"))),
    ("anna_pending", "anna", 2 / 24, "pending",
     (("lighting", "String Lights"), ("gifts", "Scented Candle"))),
    ("ben_delivered", "ben", 60, "delivered", (("stationery", "Notebook"),)),
    ("ben_cancelled", "ben", 40, "cancelled", (("gifts", "Gift Hamper"),)),
    ("ben_returned", "ben", 12, "delivered",
     (("stationery", "Leather Journal"), ("stationery", "Fountain Pen"))),
    ("ben_processing", "ben", 10 / 24, "processing", (("gifts", "Gift Box"),)),
    ("guest_delivered", "guest", 12, "delivered", (("kitchen", "Mug"),)),
    # Clara's come last so that the draws for everyone above stay as they were.
    ("clara_first", "clara", 320, "delivered",
     (("kitchen", "Teapot"), ("kitchen", "Mug"))),
    ("clara_repeat", "clara", 190, "delivered", (("gifts", "Candle"),)),
    ("clara_last", "clara", CLARA_LAST_ORDER_DAYS, "delivered",
     (("kitchen", "Serving Bowl"), ("home decor", "Cushion"))),
)
# fmt: on


@dataclass(frozen=True)
class PlannedChat:
    """A past, ended chat session of a demo customer (it makes her next visit a return)."""

    customer_id: int
    sender_id: str
    started_at: datetime
    ended_at: datetime
    intents: tuple[str, ...]
    looked_up: PlannedOrder  # recorded as the session's ``order_looked_up`` outcome


@dataclass(frozen=True)
class DemoFixtures:
    """The fixed customers, their orders, the return on Ben's order and Clara's last chat."""

    customers: list[CustomerProfile]
    orders: list[PlannedOrder]
    returns: list[PlannedReturn]
    chats: list[PlannedChat]


def _customers(now: datetime) -> dict[str, CustomerProfile]:
    anna = CustomerProfile(
        id=1,
        first_name="Anna",
        last_name="Smith",
        email=ANNA_EMAIL,
        country="United Kingdom",
        city="London",
        created_at=now - timedelta(days=640),
        categories={"lighting": 0.55, "home decor": 0.45},
        price_band="mid",
        frequency="loyal",
        orders_per_year=6.0,
        browse_per_year=20.0,
        marketing_consent=True,
        email_opt_in=True,
        preferred_channel="web",
        extra={"demo": True},
    )
    ben = CustomerProfile(
        id=2,
        first_name="Ben",
        last_name="Carter",
        email=BEN_EMAIL,
        country="United Kingdom",
        city="Manchester",
        created_at=now - timedelta(days=300),
        categories={"stationery": 0.6, "gifts": 0.4},
        price_band="budget",
        frequency="occasional",
        orders_per_year=4.0,
        browse_per_year=8.0,
        marketing_consent=False,
        preferred_channel="email",
        extra={"demo": True},
    )
    clara = CustomerProfile(
        id=CLARA_ID,
        first_name="Clara",
        last_name="Evans",
        email=CLARA_EMAIL,
        country="United Kingdom",
        city="Bristol",
        created_at=now - timedelta(days=400),
        categories={"kitchen": 0.6, "gifts": 0.4},
        price_band="mid",
        frequency="occasional",
        orders_per_year=3.0,
        browse_per_year=6.0,
        marketing_consent=True,
        email_opt_in=True,
        preferred_channel="web",
        extra={"demo": True},
    )
    return {"anna": anna, "ben": ben, "clara": clara}


def _product(
    picker: BasketPicker, category: str, word: str, moment: datetime, taken: list[int]
) -> int:
    """The first product of ``category`` whose title has ``word``; a close substitute otherwise."""
    products = picker.catalogue.products
    listed = [i for i, p in enumerate(products) if picker.listed_at[i] <= moment and i not in taken]
    candidates = [i for i in listed if products[i].category == category] or listed
    for index in candidates:
        if word.lower() in products[index].title.lower():
            return index
    return candidates[0]


def _end_of_day(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), datetime.min.time()) + timedelta(hours=18)


def _lifecycle(rng: random.Random, status: str, placed: datetime, now: datetime) -> Lifecycle:
    """A fixed timeline: dispatched 20 hours after the order, delivered two days later."""
    if status in ("pending", "processing"):
        return Lifecycle(status)
    if status == "cancelled":
        return Lifecycle("cancelled", cancelled_at=placed + timedelta(hours=2))
    tracking = tracking_number(rng, "Royal Mail")
    shipped = placed + timedelta(hours=20)
    if status == "shipped":  # still on its way, due tomorrow
        return Lifecycle(
            "shipped",
            None,
            "Royal Mail",
            tracking,
            shipped,
            _end_of_day(now + timedelta(days=1)),
            None,
        )
    delivered = shipped + timedelta(days=2, hours=1)
    return Lifecycle(
        "delivered", None, "Royal Mail", tracking, shipped, _end_of_day(delivered), delivered
    )


def plan_fixtures(
    rng: random.Random, catalogue: Catalogue, calendar: ShopCalendar, picker: BasketPicker
) -> DemoFixtures:
    """The demo customers' known orders and history, ready to be numbered with the others."""
    now = calendar.now
    customers = _customers(now)
    orders: list[PlannedOrder] = []
    for name, who, days_ago, status, items in FIXTURE_ORDERS:
        # Not on the hour: a real order is placed at an odd minute.
        placed = now - timedelta(days=days_ago, minutes=rng.randint(3, 170))
        placed = placed.replace(microsecond=0)
        lines: list[int] = []
        for category, word in items:
            lines.append(_product(picker, category, word, placed, lines))
        customer = customers.get(who)
        order = PlannedOrder(
            customer_id=customer.id if customer else None,
            email=customer.email if customer else GUEST_EMAIL,
            country="United Kingdom",
            placed_at=placed,
            lines=[(index, 1) for index in lines],
            lifecycle=_lifecycle(rng, status, placed, now),
            fixture=name,
        )
        orders.append(order)
    returned = next(o for o in orders if o.fixture == "ben_returned")
    assert returned.lifecycle and returned.lifecycle.delivered_at
    requested = returned.lifecycle.delivered_at + timedelta(days=2)
    ben_return = PlannedReturn(
        returned,
        0,
        "Arrived damaged",
        "approved",
        requested,
        requested + timedelta(days=1),
        fixture="ben_return",
    )
    return DemoFixtures(list(customers.values()), orders, [ben_return], [_clara_last_chat(orders)])


def _clara_last_chat(orders: list[PlannedOrder]) -> PlannedChat:
    """Clara asked where her last order was a few hours after it was dispatched."""
    last = next(o for o in orders if o.fixture == "clara_last")
    assert last.lifecycle and last.lifecycle.shipped_at
    started = last.lifecycle.shipped_at + timedelta(hours=3, minutes=12)
    return PlannedChat(
        CLARA_ID,
        "web-demo-clara-1",
        started,
        started + timedelta(minutes=4),
        ("greet", "order_status"),
        last,
    )
