"""Why an order can't be returned or cancelled, worded from the store's ``Refusal``.

The store decides (``store.rules``) and hands over a code with the values the sentence
needs; the sentence lives here so every word a customer reads is on the actions side.
Dates here leave out the weekday ("3 March"): they are reasons, not appointments.
"""

from __future__ import annotations

from datetime import date, datetime

from concierge.formatting import join_words
from store.rules import Refusal


def short_day(day: date | datetime, now: datetime | None = None) -> str:
    """ "3 March", with the year when it is not ``now``'s (or when ``now`` is unknown)."""
    text = f"{day.day} {day:%B}"
    if now is None or day.year != now.year:
        text += f" {day.year}"
    return text


def refusal_text(refusal: Refusal, now: datetime | None = None) -> str:
    """The sentence that tells the customer why, and what they can do instead."""
    n = refusal.order_number
    on = f" on {short_day(refusal.on, now)}" if refusal.on else ""
    code = refusal.code
    if code == "cancelled":
        return f"Order {n} was cancelled{on}, so there's nothing in it to return."
    if code == "not_delivered":
        return _not_delivered(refusal)
    if code == "window_passed":
        closed = f" on {short_day(refusal.window_closed, now)}" if refusal.window_closed else ""
        return (
            f"Order {n} was delivered{on}, and our {refusal.window_days}-day return window "
            f"closed{closed}, so I can't open a return for it."
        )
    if code == "item_not_in_order":
        items = join_words(f"the {title}" for title in refusal.items) or "no items"
        return f"Order {n} doesn't include that item; it contains {items}."
    if code == "already_returned":
        return _already_returned(refusal)
    if code == "already_cancelled":
        return f"Order {n} was already cancelled{on}, so there's nothing more to do."
    if code == "already_shipped" and refusal.order_status == "delivered":
        return (
            f"Order {n} was delivered{on}, so it can't be cancelled any more, but you can "
            "return it instead."
        )
    if code == "already_shipped" and refusal.order_status == "shipped":
        return (
            f"Order {n} already left our warehouse{on}, so it can't be cancelled any more; "
            "once it arrives, you can return it instead."
        )
    return f"Order {n} can't be cancelled any more."


def _not_delivered(refusal: Refusal) -> str:
    n = refusal.order_number
    if refusal.order_status == "shipped":
        return (
            f"Order {n} is on its way but hasn't been delivered yet, so it can't be returned "
            f"yet; once it arrives you'll have {refusal.window_days} days to send it back."
        )
    return (
        f"Order {n} hasn't been delivered yet, so it can't be returned. Would you like to "
        "cancel it instead?"
    )


def _already_returned(refusal: Refusal) -> str:
    n, item, number = refusal.order_number, refusal.item, refusal.return_number
    if item is None:
        return (
            f"Everything in order {n} already has a return, so there's nothing left to send back."
        )
    if refusal.return_status == "open":
        return (
            f"There's already a return open for the {item} from order {n} ({number}), so "
            "there's no need to start another."
        )
    if refusal.return_status == "refunded":
        return f"The {item} from order {n} has already been returned and refunded ({number})."
    return f"The {item} from order {n} has already been returned ({number})."
