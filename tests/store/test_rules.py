"""Return and cancel rules, decided from views alone."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from store.policy import ShopPolicy
from store.rules import (
    cancel_refusal,
    match_line,
    normalize_order_number,
    normalize_return_number,
    return_refusal,
    same_email,
)
from store.views import OrderLineView, OrderView, ReturnView, ShipmentView

DELIVERED = datetime(2024, 3, 3, 15, 30)
LAMP = OrderLineView(1, 11, "LAMP-1", "Linen table lamp", "lighting", 1, 39.0)
THROW = OrderLineView(2, 12, "THRW-1", "Wool throw", "textiles", 2, 25.0)


def _order(
    status: str,
    *,
    delivered_at: datetime | None = DELIVERED,
    returns: tuple[ReturnView, ...] = (),
    cancelled_at: datetime | None = None,
) -> OrderView:
    shipments: tuple[ShipmentView, ...] = ()
    if status in ("shipped", "delivered"):
        shipments = (
            ShipmentView(
                "Royal Mail",
                "TR1GB",
                datetime(2024, 3, 1, 9),
                datetime(2024, 3, 4),
                delivered_at if status == "delivered" else None,
            ),
        )
    return OrderView(
        id=1,
        number="10234",
        customer_id=7,
        email="anna@example.com",
        status=status,
        placed_at=datetime(2024, 2, 29, 18),
        cancelled_at=cancelled_at,
        total=89.0,
        currency="GBP",
        lines=(LAMP, THROW),
        shipments=shipments,
        returns=returns,
    )


def _return(line: OrderLineView, status: str) -> ReturnView:
    at = datetime(2024, 3, 5)
    return ReturnView(
        "R-10001", "10234", line.id, line.title, "too small", status, line.amount, at, at
    )


def test_return_on_day_30_after_delivery_is_allowed(policy: ShopPolicy) -> None:
    day_30 = DELIVERED.replace(hour=23, minute=59) + timedelta(days=30)
    assert return_refusal(_order("delivered"), LAMP.id, day_30, policy) is None


def test_return_on_day_31_after_delivery_is_refused_with_the_closing_date(
    policy: ShopPolicy,
) -> None:
    day_31 = DELIVERED.replace(hour=0, minute=1) + timedelta(days=31)
    refusal = return_refusal(_order("delivered"), LAMP.id, day_31, policy)
    assert refusal is not None and refusal.code == "window_passed"
    assert (refusal.order_number, refusal.on) == ("10234", date(2024, 3, 3))
    assert (refusal.window_days, refusal.window_closed) == (30, date(2024, 4, 2))


def test_window_follows_the_policy_file(policy: ShopPolicy) -> None:
    from dataclasses import replace

    short = replace(policy, return_window_days=14)
    day_15 = DELIVERED + timedelta(days=15)
    refusal = return_refusal(_order("delivered"), LAMP.id, day_15, short)
    assert refusal is not None
    assert (refusal.window_days, refusal.window_closed) == (14, date(2024, 3, 17))


def test_whole_order_past_its_window_is_refused(policy: ShopPolicy) -> None:
    refusal = return_refusal(_order("delivered"), None, datetime(2025, 1, 10), policy)
    assert refusal is not None and refusal.code == "window_passed"
    assert refusal.on == date(2024, 3, 3)


@pytest.mark.parametrize("status", ["pending", "processing"])
def test_return_of_undelivered_order_is_refused_and_suggests_cancelling(
    policy: ShopPolicy, status: str
) -> None:
    refusal = return_refusal(_order(status), LAMP.id, DELIVERED, policy)
    assert refusal is not None and refusal.code == "not_delivered"
    assert refusal.order_status == status


def test_return_of_shipped_order_is_refused_until_it_arrives(policy: ShopPolicy) -> None:
    refusal = return_refusal(_order("shipped"), LAMP.id, DELIVERED, policy)
    assert refusal is not None and refusal.code == "not_delivered"
    assert (refusal.order_status, refusal.window_days) == ("shipped", 30)


def test_return_of_cancelled_order_is_refused(policy: ShopPolicy) -> None:
    order = _order("cancelled", cancelled_at=datetime(2024, 3, 1, 10))
    refusal = return_refusal(order, LAMP.id, DELIVERED, policy)
    assert refusal is not None and refusal.code == "cancelled"
    assert refusal.on == date(2024, 3, 1)


def test_return_of_item_not_in_the_order_lists_the_items(policy: ShopPolicy) -> None:
    refusal = return_refusal(_order("delivered"), 999, DELIVERED, policy)
    assert refusal is not None and refusal.code == "item_not_in_order"
    assert refusal.items == ("Linen table lamp", "Wool throw")


def test_second_return_of_a_line_with_an_open_return_is_refused(policy: ShopPolicy) -> None:
    order = _order("delivered", returns=(_return(LAMP, "requested"),))
    refusal = return_refusal(order, LAMP.id, DELIVERED, policy)
    assert refusal is not None and refusal.code == "already_returned"
    assert (refusal.item, refusal.return_number, refusal.return_status) == (
        "Linen table lamp",
        "R-10001",
        "open",
    )
    assert return_refusal(order, THROW.id, DELIVERED, policy) is None


def test_refunded_line_cannot_be_returned_again(policy: ShopPolicy) -> None:
    order = _order("delivered", returns=(_return(LAMP, "refunded"),))
    refusal = return_refusal(order, LAMP.id, DELIVERED, policy)
    assert refusal is not None and refusal.code == "already_returned"
    assert refusal.return_status == "refunded"


def test_line_whose_return_was_rejected_may_be_returned_again(policy: ShopPolicy) -> None:
    order = _order("delivered", returns=(_return(LAMP, "rejected"),))
    assert return_refusal(order, LAMP.id, DELIVERED, policy) is None


def test_order_with_every_line_returned_is_refused_as_a_whole(policy: ShopPolicy) -> None:
    order = _order("delivered", returns=(_return(LAMP, "received"), _return(THROW, "refunded")))
    refusal = return_refusal(order, None, DELIVERED, policy)
    assert refusal is not None and refusal.code == "already_returned"


def test_delivered_order_without_delivery_date_counts_from_dispatch(policy: ShopPolicy) -> None:
    order = _order("delivered", delivered_at=None)
    assert return_refusal(order, LAMP.id, datetime(2024, 3, 31), policy) is None
    refusal = return_refusal(order, LAMP.id, datetime(2024, 4, 1), policy)
    assert refusal is not None and refusal.window_closed == date(2024, 3, 31)


@pytest.mark.parametrize("status", ["pending", "processing"])
def test_pending_and_processing_orders_may_be_cancelled(status: str) -> None:
    assert cancel_refusal(_order(status)) is None


@pytest.mark.parametrize(
    ("status", "code", "on"),
    [
        ("shipped", "already_shipped", date(2024, 3, 1)),
        ("delivered", "already_shipped", date(2024, 3, 3)),
        ("cancelled", "already_cancelled", date(2024, 3, 1)),
    ],
)
def test_orders_past_processing_cannot_be_cancelled(status: str, code: str, on: date) -> None:
    order = _order(status, cancelled_at=datetime(2024, 3, 1, 10))
    refusal = cancel_refusal(order)
    assert refusal is not None and refusal.code == code
    assert (refusal.order_number, refusal.order_status, refusal.on) == ("10234", status, on)


@pytest.mark.parametrize(
    ("said", "title"),
    [
        ("Linen table lamp", "Linen table lamp"),
        ("the lamp", "Linen table lamp"),
        ("my wool throws", "Wool throw"),
        ("thrw-1", "Wool throw"),
        ("textiles", "Wool throw"),
    ],
)
def test_match_line_finds_the_item_the_customer_names(said: str, title: str) -> None:
    line = match_line(_order("delivered"), said)
    assert line is not None and line.title == title


@pytest.mark.parametrize("said", ["the sofa", "it", "", "linen wool"])
def test_match_line_gives_none_when_no_single_item_fits(said: str) -> None:
    assert match_line(_order("delivered"), said) is None


def test_order_and_return_numbers_are_read_as_customers_type_them() -> None:
    assert normalize_order_number(" #c536379 ") == "C536379"
    assert normalize_return_number("r10001") == "R-10001"
    assert normalize_return_number("10001") == "R-10001"
    assert normalize_return_number("R-10001") == "R-10001"
    assert same_email(" Anna@Example.com", "anna@example.com")
    assert not same_email(None, "anna@example.com")
