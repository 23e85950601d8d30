"""The sentences actions say that carry data: order and return status, dates, items.

Pure functions of views and ``now``; no I/O. Dates are written as people read them in
the UK ("Tuesday 3 March"), with the year only when it is not the current one.
"""

from __future__ import annotations

from datetime import date, datetime

from store.policy import ShopPolicy
from store.views import OrderLineView, OrderView, ReturnView, ShipmentView

STORE_UNREACHABLE = (
    "I can't reach our order system right now — please try again in a few minutes, "
    "or ask for a human."
)
NOT_AN_EMAIL = "Hmm, that doesn't look like an e-mail address — could you type it again?"
REASON_MISSING = "Could you tell me in a few words why you're sending it back?"
ASK_RETURN_NUMBER = (
    "Which return is it? Its number starts with R-, like R-10007 — you'll find it in "
    "the e-mail we sent when the return was opened."
)
NO_RETURNS_YET = "I can't see any returns on your account yet. Would you like to start one?"
ASK_CANCEL_YES_NO = "Please answer yes or no: shall I cancel the order?"

_CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}

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


def money(amount: float, currency: str) -> str:
    """``amount`` with its currency symbol: "£39", "£12.50", "CHF 12.50"."""
    symbol = _CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    return f"{symbol}{amount:.0f}" if amount == int(amount) else f"{symbol}{amount:.2f}"


def _line_text(line: OrderLineView) -> str:
    return line.title if line.quantity == 1 else f"{line.quantity} × {line.title}"


def items_text(lines: tuple[OrderLineView, ...]) -> str:
    """ "Linen table lamp, 2 × Wool throw and Oak stool"."""
    names = [_line_text(ln) for ln in lines]
    if not names:
        return "no items"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


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


def return_status(ret: ReturnView, currency: str, now: datetime) -> str:
    """Where a return stands, with its item, order and refund."""
    refund = money(ret.refund_amount, currency)
    about = f"Return {ret.number} ({ret.item_title} from order {ret.order_number})"
    opened = format_day(ret.created_at, now)
    if ret.status == "requested":
        return f"{about} was opened on {opened} and is waiting for approval."
    if ret.status == "approved":
        return (
            f"{about} has been approved. Once the item reaches us, your refund of "
            f"{refund} is on its way."
        )
    if ret.status == "received":
        return f"{about} has reached our warehouse; your refund of {refund} is being processed."
    if ret.status == "refunded":
        return f"{about} is complete: {refund} was refunded on {format_day(ret.updated_at, now)}."
    if ret.status == "rejected":
        return (
            f"{about} was turned down on {format_day(ret.updated_at, now)}. If you'd like "
            "to know why, I can put you through to our team."
        )
    return f"{about} is {ret.status}."


def return_created(ret: ReturnView, currency: str, policy: ShopPolicy) -> str:
    """The confirmation of a newly opened return, with what happens next."""
    label = (
        "We'll e-mail you a prepaid returns label. "
        if policy.free_returns
        else "Please send the item back to us at your own cost. "
    )
    return (
        f"I've opened return {ret.number} for the {ret.item_title} from order "
        f"{ret.order_number}. {label}Your refund of {money(ret.refund_amount, currency)} "
        f"follows within {policy.refund_days} working days of the item reaching us."
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


def return_not_found(number: str) -> str:
    """Unknown and someone else's return look the same."""
    return f"I can't find a return {number} — please check the number."


def not_a_return_number(said: str) -> str:
    """What we say when the text holds no return number."""
    return f"“{said}” doesn't look like a return number — they start with R-, like R-10007."


def not_an_order_number(said: str) -> str:
    """What we say when the text holds no order number at all."""
    return (
        f"“{said}” doesn't look like an order number — it's the 5 or 6 digits in your "
        "order confirmation, like 10234."
    )


def item_not_found(said: str, order: OrderView) -> str:
    """The item the customer named is not in the order: list what is."""
    return (
        f"I can't find “{said}” in order {order.number}. It has "
        f"{numbered_items(order.lines)} — which one would you like to return?"
    )


def which_item(candidates: tuple[OrderLineView, ...], order: OrderView) -> str:
    """The customer's words fit several items: ask which."""
    return (
        f"Order {order.number} has more than one of those: {numbered_items(order.lines)}. "
        f"Which one do you mean — {' or '.join(c.title for c in candidates)}?"
    )


def welcome_back(name: str) -> str:
    """The first thing a returning customer reads."""
    return f"Welcome back, {name}!"


HOW_CAN_I_HELP = "How can I help you today?"


def greeting(name: str | None) -> str:
    """A greeting, by name when we know the customer."""
    who = f", {name}" if name else ""
    return f"Hello{who}! {HOW_CAN_I_HELP}"


def goodbye(name: str | None) -> str:
    """A farewell, by name when we know the customer."""
    who = f", {name}" if name else ""
    return f"Goodbye{who} — thanks for chatting with us!"


def matter_update(matter: dict, status: str) -> str:
    """The reminder for a returning customer whose open matter has moved on."""
    ref = matter.get("ref")
    if matter.get("kind") == "return":
        change = _RETURN_CHANGED.get(status, f"it is now {status}")
        return f"Last time you asked about return {ref} — {change}."
    change = _ORDER_CHANGED.get(status, f"it is now {status}")
    return f"Last time you asked about order {ref} — {change}."


def handoff_requested(already_waiting: bool) -> str:
    """The promise we make when the customer asks for a person."""
    if already_waiting:
        return "You're already in the queue for our team — someone will reply right here soon."
    return (
        "I've asked a member of our team to take over — they'll reply right here in "
        "this chat as soon as they can."
    )
