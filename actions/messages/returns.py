"""What the assistant says about returns: their status, a new one, and the prompts of the form."""

from __future__ import annotations

from datetime import datetime

from actions.messages.orders import format_day, numbered_items
from concierge.formatting import join_words, money
from store.policy import ShopPolicy
from store.views import OrderLineView, OrderView, ReturnView

REASON_MISSING = "Could you tell me in a few words why you're sending it back?"


ASK_RETURN_NUMBER = (
    "Which return is it? Its number starts with R-, like R-10007 — you'll find it in "
    "the e-mail we sent when the return was opened."
)


NO_RETURNS_YET = "I can't see any returns on your account yet. Would you like to start one?"


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


def return_not_found(number: str) -> str:
    """Unknown and someone else's return look the same."""
    return f"I can't find a return {number} — please check the number."


def not_a_return_number(said: str) -> str:
    """What we say when the text holds no return number."""
    return f"“{said}” doesn't look like a return number — they start with R-, like R-10007."


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
        f"Which one do you mean — {join_words((c.title for c in candidates), last='or')}?"
    )


def which_item_to_return(order: OrderView) -> str:
    """The item question, asked with the order's items as buttons."""
    return f"Which item from order {order.number} would you like to return?"


# A reason given when the item was asked: kept, and the item asked again.
REASON_NOTED = "Sorry to hear that — I've noted that as the reason for the return."
