"""Texts with data in them, from actions.messages (pure functions, no store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from actions.messages import (
    format_day,
    items_text,
    matter_update,
    money,
    order_status,
)
from concierge.settings import ROOT
from store.policy import load_policy
from store.views import OrderLineView, OrderView
from store.working_days import add_working_days

NOW = datetime(2024, 3, 10, 12, 0)
POLICY = load_policy(ROOT / "store" / "shop_policy.yml")


def test_days_are_written_with_weekday_and_without_the_current_year() -> None:
    assert format_day(datetime(2024, 3, 3, 9), NOW) == "Sunday 3 March"
    assert format_day(date(2023, 12, 29), NOW) == "Friday 29 December 2023"


def test_money_drops_pence_only_when_there_are_none() -> None:
    assert (money(39.0, "GBP"), money(12.5, "EUR"), money(3, "CHF")) == ("£39", "€12.50", "CHF 3")


def test_items_are_listed_with_quantities() -> None:
    lines = (
        OrderLineView(1, 1, "A", "Linen table lamp", "lighting", 1, 39.0),
        OrderLineView(2, 2, "B", "Wool throw", "textiles", 2, 45.5),
        OrderLineView(3, 3, "C", "Oak stool", "furniture", 1, 80.0),
    )
    assert items_text(lines) == "Linen table lamp, 2 × Wool throw and Oak stool"


def test_working_days_skip_the_weekend() -> None:
    assert add_working_days(date(2024, 3, 8), 1) == date(2024, 3, 11)  # Friday -> Monday
    assert add_working_days(date(2024, 3, 9), 1) == date(2024, 3, 11)  # Saturday -> Monday


def test_dispatch_skips_the_public_holidays_of_the_warehouse_region() -> None:
    # Christmas Eve 2024 was a Tuesday: Christmas and Boxing Day are bank holidays in
    # England, so an order placed that day leaves on Friday 27 December, not Wednesday.
    order = _pending_order(placed_at=datetime(2024, 12, 24, 9))
    assert POLICY.holiday_region == "GB-ENG"
    assert order_status(order, datetime(2024, 12, 24, 10), POLICY).endswith(
        "It should leave our warehouse by Friday 27 December."
    )
    # Easter Monday (1 April 2024) is a bank holiday in England but not in Scotland.
    assert add_working_days(date(2024, 3, 29), 1, "GB-ENG") == date(2024, 4, 2)
    assert add_working_days(date(2024, 3, 29), 1, "GB-SCT") == date(2024, 4, 1)
    # Without a region, only weekends are skipped.
    assert replace(POLICY, holiday_region=None).dispatch_due(date(2024, 12, 24)) == date(
        2024, 12, 25
    )


def _pending_order(placed_at: datetime) -> OrderView:
    return OrderView(
        id=1,
        number="10234",
        customer_id=1,
        email="a@example.com",
        status="pending",
        placed_at=placed_at,
        cancelled_at=None,
        total=39.0,
        currency="GBP",
        lines=(OrderLineView(1, 1, "A", "Linen table lamp", "lighting", 1, 39.0),),
        shipments=(),
        returns=(),
    )


def test_pending_order_placed_today_says_when_it_will_leave() -> None:
    order = OrderView(
        id=1,
        number="10234",
        customer_id=1,
        email="a@example.com",
        status="pending",
        placed_at=datetime(2024, 3, 8, 9),
        cancelled_at=None,
        total=39.0,
        currency="GBP",
        lines=(OrderLineView(1, 1, "A", "Linen table lamp", "lighting", 1, 39.0),),
        shipments=(),
        returns=(),
    )
    assert order_status(order, datetime(2024, 3, 8, 10), POLICY) == (
        "Order 10234, placed on Friday 8 March, has been received and is waiting to be "
        "processed. It contains Linen table lamp. It should leave our warehouse by "
        "Monday 11 March."
    )
    # The dispatch time is the shop's policy (warehouse.dispatch_working_days), not the code's.
    slower = replace(POLICY, dispatch_working_days=3)
    assert order_status(order, datetime(2024, 3, 8, 10), slower).endswith(
        "It should leave our warehouse by Wednesday 13 March."
    )
    assert order_status(order, datetime(2024, 3, 14, 10), slower).endswith(
        "It should have left our warehouse by Wednesday 13 March, so it's running late — "
        "I can put you through to our team if you'd like us to chase it."
    )


def test_cancelled_order_says_when() -> None:
    order = OrderView(
        id=1,
        number="10234",
        customer_id=1,
        email="a@example.com",
        status="cancelled",
        placed_at=datetime(2024, 3, 1, 9),
        cancelled_at=datetime(2024, 3, 2, 9),
        total=39.0,
        currency="GBP",
        lines=(OrderLineView(1, 1, "A", "Wool throw", "textiles", 1, 39.0),),
        shipments=(),
        returns=(),
    )
    assert order_status(order, NOW, POLICY) == (
        "Order 10234, placed on Friday 1 March, was cancelled on Saturday 2 March. "
        "It contained Wool throw."
    )


def test_reminders_name_the_matter_and_its_new_state() -> None:
    assert matter_update({"kind": "order", "ref": "10234"}, "shipped") == (
        "Last time you asked about order 10234 — it is now on its way."
    )
    assert matter_update({"kind": "return", "ref": "R-10001"}, "approved") == (
        "Last time you asked about return R-10001 — it has now been approved."
    )
