"""What the assistant says about orders: status, dates, items, parcels and cancellation.

Pure functions of views and ``now``; no I/O. Dates are written as people read them in
the UK ("Tuesday 3 March"), with the year only when it is not the current one.
"""

from __future__ import annotations

from datetime import date, datetime

from concierge.formatting import join_words, money
from store.policy import ShopPolicy
from store.views import OrderLineView, OrderView, ShipmentView

ASK_CANCEL_YES_NO = "Please answer yes or no: shall I cancel the order?"


_ORDER_NOW = {
    "pending": "has been received and is waiting to be processed",
    "processing": "is being packed in our warehouse",
    "shipped": "is on its way",
    "delivered": "has been delivered",
    "cancelled": "was cancelled",
}


_ORDER_CHANGED = {
    "pending": "it has now been received",
    "processing": "it is now being packed in our warehouse",
    "shipped": "it is now on its way",
    "delivered": "it has now been delivered",
    "cancelled": "it has now been cancelled",
}


_RETURN_CHANGED = {
    "requested": "it is now waiting for approval",
    "approved": "it has now been approved",
    "received": "the item has now reached our warehouse",
    "refunded": "it has now been refunded",
    "rejected": "it has now been turned down",
}


def format_day(moment: date | datetime, now: datetime) -> str:
    """ "Tuesday 3 March", with " 2023" added when the year is not ``now``'s."""
    text = f"{moment:%A} {moment.day} {moment:%B}"
    return text if moment.year == now.year else f"{text} {moment.year}"


def _line_text(line: OrderLineView) -> str:
    return line.title if line.quantity == 1 else f"{line.quantity} × {line.title}"


def items_text(lines: tuple[OrderLineView, ...]) -> str:
    """ "Linen table lamp, 2 × Wool throw and Oak stool"."""
    return join_words(_line_text(ln) for ln in lines) or "no items"


def numbered_items(lines: tuple[OrderLineView, ...]) -> str:
    """ "1. Linen table lamp, 2. Wool throw": what the customer can answer with."""
    return ", ".join(f"{i}. {ln.title}" for i, ln in enumerate(lines, start=1))


def expected_dispatch(order: OrderView, policy: ShopPolicy) -> date:
    """The working day by which a pending or processing order should leave the warehouse."""
    return policy.dispatch_due(order.placed_at.date())


def order_status(order: OrderView, now: datetime, policy: ShopPolicy) -> str:
    """Everything a customer asks about an order: status, date, items, parcel, dates."""
    opening = (
        f"Order {order.number}, placed on {format_day(order.placed_at, now)}, "
        f"{_ORDER_NOW.get(order.status, f'is {order.status}')}"
    )
    contents = f"It contains {items_text(order.lines)}."
    if order.status in ("pending", "processing"):
        return f"{opening}. {contents} {_dispatch_sentence(order, now, policy)}"
    if order.status == "cancelled":
        when = f" on {format_day(order.cancelled_at, now)}" if order.cancelled_at else ""
        return f"{opening}{when}. It contained {items_text(order.lines)}."
    parcels = " ".join(_shipment_sentence(s, now) for s in order.shipments)
    return f"{opening}. {contents} {parcels}".rstrip()


def _dispatch_sentence(order: OrderView, now: datetime, policy: ShopPolicy) -> str:
    due = expected_dispatch(order, policy)
    if due >= now.date():
        return f"It should leave our warehouse by {format_day(due, now)}."
    return (
        f"It should have left our warehouse by {format_day(due, now)}, so it's running "
        "late — I can put you through to our team if you'd like us to chase it."
    )


def _shipment_sentence(parcel: ShipmentView, now: datetime) -> str:
    sent = (
        f"It left our warehouse on {format_day(parcel.shipped_at, now)} with "
        f"{parcel.carrier}, tracking number {parcel.tracking_number}"
    )
    if parcel.delivered_at is not None:
        return f"{sent}, and arrived on {format_day(parcel.delivered_at, now)}."
    if parcel.estimated_delivery is None:
        return f"{sent}."
    if parcel.estimated_delivery.date() >= now.date():
        return f"{sent}, and should arrive by {format_day(parcel.estimated_delivery, now)}."
    return (
        f"{sent}; it was due on {format_day(parcel.estimated_delivery, now)}, so if it "
        "hasn't arrived, I can put you through to our team."
    )


def order_cancelled(order: OrderView) -> str:
    """The confirmation of a cancellation."""
    return (
        f"Done — order {order.number} is cancelled. The {money(order.total, order.currency)} "
        "you paid goes back to your original payment method."
    )


def cancel_kept(number: str) -> str:
    """What we say when the customer decides not to cancel."""
    return f"All right, I've left order {number} as it is."


def order_not_found(number: str) -> str:
    """Unknown and someone else's order look the same, so existence is never leaked."""
    return f"I can't find an order {number} — please check the number."


def not_an_order_number(said: str) -> str:
    """What we say when the text holds no order number at all."""
    return (
        f"“{said}” doesn't look like an order number — it's the 5 or 6 digits in your "
        "order confirmation, like 10234."
    )


def matter_update(matter: dict, status: str) -> str:
    """The reminder for a returning customer whose open matter has moved on."""
    ref = matter.get("ref")
    if matter.get("kind") == "return":
        change = _RETURN_CHANGED.get(status, f"it is now {status}")
        return f"Last time you asked about return {ref} — {change}."
    change = _ORDER_CHANGED.get(status, f"it is now {status}")
    return f"Last time you asked about order {ref} — {change}."


# -- her own orders, for a signed-in customer -------------------------------------------

_ORDER_SHORT = {
    "pending": "received",
    "processing": "being packed",
    "shipped": "on its way",
    "delivered": "delivered",
    "cancelled": "cancelled",
}

WHICH_OWN_ORDER = "Which order is it? Here are your recent ones:"
WHICH_OF_THESE = "More than one of your orders fits — which one do you mean?"
YOUR_RECENT_ORDERS = "Here are your recent orders — tap one to see where it is:"
NO_ORDERS_YET = "I can't see any orders on your account yet."
GUEST_LIST_ORDERS = (
    "I can only list orders once you're signed in to your account on our website. If you "
    "have an order number (the 5 or 6 digits in your confirmation e-mail), I can look that "
    "order up for you here."
)


def order_button_title(order: OrderView, now: datetime) -> str:
    """ "18992 · 3 March · Table Lamp · delivered": enough to recognise an order by."""
    first = order.lines[0].title if order.lines else "no items"
    more = f" +{len(order.lines) - 1}" if len(order.lines) > 1 else ""
    status = _ORDER_SHORT.get(order.status, order.status)
    return f"{order.number} · {order.placed_at.day} {order.placed_at:%B} · {first}{more} · {status}"


def own_order_not_matched(said: str) -> str:
    """Her words fit none of her orders."""
    return f"I couldn't match “{said}” to one of your orders."
