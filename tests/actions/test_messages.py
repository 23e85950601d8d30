"""Texts with data in them, from actions.messages (pure functions, no store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from actions.messages import (
    format_day,
    items_text,
    matter_update,
    money,
    order_status,
    refusal_text,
    short_day,
)
from concierge.settings import ROOT
from store.policy import load_policy
from store.rules import Refusal
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


def test_refusal_dates_leave_out_the_weekday_and_name_another_year() -> None:
    assert short_day(datetime(2024, 4, 2), datetime(2024, 5, 1)) == "2 April"
    assert short_day(datetime(2023, 12, 25), datetime(2024, 5, 1)) == "25 December 2023"
    assert short_day(date(2024, 4, 2)) == "2 April 2024"  # no "now": the year is always said


MARCH_10 = datetime(2024, 3, 10)


@pytest.mark.parametrize(
    ("refusal", "now", "said"),
    [
        (
            Refusal("window_passed", "10234", "delivered", date(2024, 3, 3), 30, date(2024, 4, 2)),
            datetime(2024, 4, 3),
            "Order 10234 was delivered on 3 March, and our 30-day return window closed on "
            "2 April, so I can't open a return for it.",
        ),
        (
            Refusal("cancelled", "10234", "cancelled", date(2024, 3, 1)),
            MARCH_10,
            "Order 10234 was cancelled on 1 March, so there's nothing in it to return.",
        ),
        (
            Refusal("not_delivered", "10234", "processing", window_days=30),
            MARCH_10,
            "Order 10234 hasn't been delivered yet, so it can't be returned. Would you like "
            "to cancel it instead?",
        ),
        (
            Refusal("not_delivered", "10234", "shipped", window_days=30),
            MARCH_10,
            "Order 10234 is on its way but hasn't been delivered yet, so it can't be returned "
            "yet; once it arrives you'll have 30 days to send it back.",
        ),
        (
            Refusal(
                "item_not_in_order", "10234", "delivered", items=("Linen table lamp", "Wool throw")
            ),
            MARCH_10,
            "Order 10234 doesn't include that item; it contains the Linen table lamp and the "
            "Wool throw.",
        ),
        (
            Refusal("already_returned", "10234", "delivered"),
            MARCH_10,
            "Everything in order 10234 already has a return, so there's nothing left to send back.",
        ),
        (
            Refusal(
                "already_returned",
                "10234",
                "delivered",
                item="Linen table lamp",
                return_number="R-10001",
                return_status="open",
            ),
            MARCH_10,
            "There's already a return open for the Linen table lamp from order 10234 "
            "(R-10001), so there's no need to start another.",
        ),
        (
            Refusal(
                "already_returned",
                "10234",
                "delivered",
                item="Linen table lamp",
                return_number="R-10001",
                return_status="refunded",
            ),
            MARCH_10,
            "The Linen table lamp from order 10234 has already been returned and refunded "
            "(R-10001).",
        ),
        (
            Refusal("already_cancelled", "10234", "cancelled", date(2024, 4, 10)),
            datetime(2024, 4, 11),
            "Order 10234 was already cancelled on 10 April, so there's nothing more to do.",
        ),
        (
            Refusal("already_shipped", "10234", "delivered", date(2024, 3, 3)),
            MARCH_10,
            "Order 10234 was delivered on 3 March, so it can't be cancelled any more, but you "
            "can return it instead.",
        ),
        (
            Refusal("already_shipped", "10234", "shipped", date(2024, 3, 1)),
            None,
            "Order 10234 already left our warehouse on 1 March 2024, so it can't be cancelled "
            "any more; once it arrives, you can return it instead.",
        ),
    ],
    ids=lambda v: v.code if isinstance(v, Refusal) else "",
)
def test_each_refusal_is_worded_with_its_values(
    refusal: Refusal, now: datetime | None, said: str
) -> None:
    assert refusal_text(refusal, now) == said
