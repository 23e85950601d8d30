"""What a customer may do with an order: pure decisions over views, no I/O.

Each function returns ``None`` when the request is allowed, or a ``Refusal`` whose message
is the sentence the assistant says to the customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from store.policy import ShopPolicy
from store.views import OrderLineView, OrderView, ReturnView

REFUSAL_CODES = (
    "not_delivered",
    "cancelled",
    "window_passed",
    "item_not_in_order",
    "already_returned",
    "already_shipped",
    "already_cancelled",
)
CANCELLABLE_STATUSES = ("pending", "processing")
# Words that say nothing about which item a customer means.
_FILLER = {"the", "a", "an", "my", "one", "item", "it", "that", "this", "of", "and", "set"}


@dataclass(frozen=True)
class Refusal:
    """Why a request about an order is refused, as a code and a customer-facing sentence."""

    code: str
    message: str


def normalize_order_number(number: str) -> str:
    """``" #c536379 "`` -> ``"C536379"``: what customers type vs what the shop stores."""
    return str(number).strip().lstrip("#").strip().upper()


def normalize_return_number(number: str) -> str:
    """``"r10001"``, ``"R-10001"`` or ``"10001"`` -> ``"R-10001"``."""
    text = str(number).strip().upper().replace(" ", "")
    digits = text.removeprefix("R").lstrip("-")
    return f"R-{digits}" if digits.isdigit() else text


def as_customer_id(value: int | str | None) -> int | None:
    """Rasa slots are text: "42" means 42, and an empty slot means a guest."""
    if value is None or not str(value).strip():
        return None
    return int(str(value).strip())


def same_email(a: str | None, b: str | None) -> bool:
    """Whether two e-mail addresses are the same, ignoring case and surrounding spaces."""
    return bool(a and b) and a.strip().casefold() == b.strip().casefold()


def match_line(order: OrderView, text: str) -> OrderLineView | None:
    """The line a customer means by ``text`` ("the lamp", a title or SKU); None if unclear."""
    wanted = text.strip().casefold()
    for line in order.lines:
        if wanted in (line.title.casefold(), line.sku.casefold()):
            return line
    words = _words(wanted)
    if not words:
        return None
    scores = [(len(words & _words(f"{ln.title} {ln.category}")), ln) for ln in order.lines]
    best = max((score for score, _ in scores), default=0)
    matches = [ln for score, ln in scores if score == best]
    return matches[0] if best > 0 and len(matches) == 1 else None


def _words(text: str) -> set[str]:
    # Singular stems, so "lamps" finds the "Linen table lamp".
    tokens = re.findall(r"[a-z0-9]+", text.casefold())
    return {t[:-1] if len(t) > 3 and t.endswith("s") else t for t in tokens} - _FILLER


def format_day(day: date | datetime, now: datetime | None = None) -> str:
    """A date as people write it in the UK: "3 March", with the year when it differs."""
    text = f"{day.day} {day:%B}"
    if now is None or day.year != now.year:
        text += f" {day.year}"
    return text


def delivery_day(order: OrderView) -> date:
    """The day a delivered order arrived (falls back to dispatch, then order day)."""
    arrived = order.delivered_at or order.shipped_at or order.placed_at
    return arrived.date()


def return_window_closes(order: OrderView, policy: ShopPolicy) -> date:
    """The last day on which a return of this delivered order may be opened."""
    return delivery_day(order) + timedelta(days=policy.return_window_days)


def return_refusal(
    order: OrderView, line_id: int | None, now: datetime, policy: ShopPolicy
) -> Refusal | None:
    """Why ``order`` (or its line ``line_id``) can't be returned at ``now``, or None if it can."""
    n = order.number
    if order.status == "cancelled":
        when = f" on {format_day(order.cancelled_at, now)}" if order.cancelled_at else ""
        return Refusal(
            "cancelled",
            f"Order {n} was cancelled{when}, so there's nothing in it to return.",
        )
    if order.status != "delivered":
        return Refusal("not_delivered", _not_delivered_message(order, policy))

    closes = return_window_closes(order, policy)
    if now.date() > closes:
        return Refusal(
            "window_passed",
            f"Order {n} was delivered on {format_day(delivery_day(order), now)}, and our "
            f"{policy.return_window_days}-day return window closed on "
            f"{format_day(closes, now)}, so I can't open a return for it.",
        )

    if line_id is None:
        if order.lines and all(_blocking_return(order, ln.id) for ln in order.lines):
            return Refusal(
                "already_returned",
                f"Everything in order {n} already has a return, so there's nothing left "
                "to send back.",
            )
        return None

    line = order.line(line_id)
    if line is None:
        return Refusal(
            "item_not_in_order",
            f"Order {n} doesn't include that item; it contains {_item_list(order.lines)}.",
        )
    existing = _blocking_return(order, line_id)
    if existing is not None:
        return Refusal("already_returned", _already_returned_message(order, line, existing))
    return None


def cancel_refusal(order: OrderView, now: datetime | None = None) -> Refusal | None:
    """Why ``order`` can't be cancelled, or None while it is still pending or processing."""
    n = order.number
    if order.status in CANCELLABLE_STATUSES:
        return None
    if order.status == "cancelled":
        when = f" on {format_day(order.cancelled_at, now)}" if order.cancelled_at else ""
        return Refusal(
            "already_cancelled",
            f"Order {n} was already cancelled{when}, so there's nothing more to do.",
        )
    if order.status == "delivered":
        return Refusal(
            "already_shipped",
            f"Order {n} was delivered on {format_day(delivery_day(order), now)}, so it "
            "can't be cancelled any more, but you can return it instead.",
        )
    if order.status == "shipped":
        when = f" on {format_day(order.shipped_at, now)}" if order.shipped_at else ""
        return Refusal(
            "already_shipped",
            f"Order {n} already left our warehouse{when}, so it can't be cancelled any "
            "more; once it arrives, you can return it instead.",
        )
    return Refusal("already_shipped", f"Order {n} can't be cancelled any more.")


def _not_delivered_message(order: OrderView, policy: ShopPolicy) -> str:
    n = order.number
    if order.status == "shipped":
        return (
            f"Order {n} is on its way but hasn't been delivered yet, so it can't be returned "
            f"yet; once it arrives you'll have {policy.return_window_days} days to send "
            "it back."
        )
    return (
        f"Order {n} hasn't been delivered yet, so it can't be returned. Would you like "
        "to cancel it instead?"
    )


def _blocking_return(order: OrderView, line_id: int) -> ReturnView | None:
    """A return of the line that rules out another one (anything but a rejected one)."""
    return next((r for r in order.returns_of_line(line_id) if r.status != "rejected"), None)


def _already_returned_message(order: OrderView, line: OrderLineView, ret: ReturnView) -> str:
    if ret.is_open:
        return (
            f"There's already a return open for the {line.title} from order "
            f"{order.number} ({ret.number}), so there's no need to start another."
        )
    if ret.status == "refunded":
        return (
            f"The {line.title} from order {order.number} has already been returned and "
            f"refunded ({ret.number})."
        )
    return f"The {line.title} from order {order.number} has already been returned ({ret.number})."


def _item_list(lines: tuple[OrderLineView, ...]) -> str:
    titles = [f"the {ln.title}" for ln in lines]
    if not titles:
        return "no items"
    if len(titles) == 1:
        return titles[0]
    return ", ".join(titles[:-1]) + " and " + titles[-1]
