"""Which of her orders a signed-in customer means, resolved at a fixed "now" (pure)."""

from __future__ import annotations

from datetime import datetime

import pytest

from actions.order_reference import date_span, resolve_reference
from store.views import OrderLineView, OrderView

# Wednesday 15 October 2025, mid-morning.
NOW = datetime(2025, 10, 15, 10, 0)


def _order(
    number: str, placed: datetime, *titles: tuple[str, str], status: str = "delivered"
) -> OrderView:
    lines = tuple(
        OrderLineView(
            id=i, product_id=i, sku=f"SKU{i}", title=t, category=c, quantity=1, unit_price=10.0
        )
        for i, (t, c) in enumerate(titles, start=1)
    )
    return OrderView(
        id=int(number),
        number=number,
        customer_id=1,
        email="anna@example.com",
        status=status,
        placed_at=placed,
        cancelled_at=None,
        total=10.0 * len(lines),
        currency="GBP",
        lines=lines,
        shipments=(),
        returns=(),
    )


# Anna's orders, like the demo's: an old one, one last week, one on Monday, one today.
HISTORY = _order("17001", datetime(2025, 3, 29, 12), ("Velvet Cushion Cover", "home decor"))
LAST_WEEK = _order(
    "18760", datetime(2025, 10, 8, 15), ("Table Lamp", "lighting"), ("Wool Throw", "home decor")
)
MONDAY = _order(
    "18992",
    datetime(2025, 10, 13, 9),
    ("Bedside Lamp", "lighting"),
    ("Drum Shade", "lighting"),
    status="shipped",
)
TODAY = _order(
    "19126",
    datetime(2025, 10, 15, 8),
    ("String Lights", "lighting"),
    ("Scented Candle", "gifts"),
    status="pending",
)
ANNA = [HISTORY, LAST_WEEK, MONDAY, TODAY]


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("the one I ordered last week", "18760"),
        ("the order from last wednesday", "18760"),
        ("the one I placed on Monday", "18992"),
        ("the one from monday", "18992"),
        ("the one I ordered this morning", "19126"),
        ("the one from today", "19126"),
        ("the one from March", "17001"),
        ("my last order", "19126"),
        ("the latest one", "19126"),
        ("my most recent order", "19126"),
        ("the previous one", "18992"),
        ("my oldest order", "17001"),
        ("the one with the candle", "19126"),
        ("the order with the scented candles", "19126"),
        ("the cushion cover order", "17001"),
        ("the lamp from last week", "18760"),
        ("the last lamp order", "18992"),
        ("the table lamp one", "18760"),
        ("the one I ordered 2 days ago", "18992"),
    ],
)
def test_words_name_one_of_her_orders(said: str, number: str) -> None:
    meant = resolve_reference(said, ANNA, NOW)
    assert meant.order is not None, meant
    assert meant.order.number == number


def test_a_product_in_two_orders_leaves_both_newest_first() -> None:
    meant = resolve_reference("the lamp order", ANNA, NOW)
    assert meant.referred
    assert meant.order is None
    assert [o.number for o in meant.orders] == ["18992", "18760"]


def test_a_date_with_no_order_is_a_reference_to_nothing() -> None:
    meant = resolve_reference("the one from yesterday", ANNA, NOW)
    assert meant.referred
    assert meant.orders == ()


@pytest.mark.parametrize(
    "said",
    [
        "this is the third time I'm asking, where the hell is my order",
        "where's my parcel?",
        "no idea sorry",
        "",
    ],
)
def test_words_that_name_no_order_are_no_reference(said: str) -> None:
    meant = resolve_reference(said, ANNA, NOW)
    assert not meant.referred
    assert meant.order is None


def test_a_teapot_she_never_bought_names_nothing() -> None:
    assert not resolve_reference("the one with the teapot", ANNA, NOW).referred


def test_last_week_spans_the_calendar_week_before() -> None:
    start, end = date_span("last week", NOW) or (None, None)
    assert (start, end) == (datetime(2025, 10, 6).date(), datetime(2025, 10, 12).date())


def test_a_month_later_in_the_year_than_now_is_last_years() -> None:
    start, _ = date_span("the one in november", NOW) or (None, None)
    assert start == datetime(2024, 11, 1).date()


def test_a_weekday_is_the_last_one_before_today() -> None:
    assert date_span("on wednesday", NOW) == (
        datetime(2025, 10, 8).date(),
        datetime(2025, 10, 8).date(),
    )
