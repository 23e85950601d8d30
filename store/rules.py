"""What a customer may do with an order: pure decisions over views, no I/O.

Each function returns ``None`` when the request is allowed, or a ``Refusal``: a code and
the values its sentence needs. The store never words it; the assistant does, in
``actions.messages.refusal_text``, so every sentence a customer reads lives on that side.
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
    """Why a request about an order is refused: a code (``REFUSAL_CODES``) and its values.

    ``on`` is the day the refusal turns on: when the order was cancelled, delivered or
    shipped. ``item``/``return_number``/``return_status`` describe the earlier return of
    the item; ``items`` lists the order's titles when the item asked for is not in it.
    """

    code: str
    order_number: str
    order_status: str
    on: date | None = None
    window_days: int | None = None
    window_closed: date | None = None
    item: str | None = None
    return_number: str | None = None
    return_status: str | None = None
    items: tuple[str, ...] = ()


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
    if not a or not b:
        return False
    return a.strip().casefold() == b.strip().casefold()


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
    if order.status == "cancelled":
        return _refusal("cancelled", order, on=_day(order.cancelled_at))
    if order.status != "delivered":
        return _refusal("not_delivered", order, window_days=policy.return_window_days)

    closes = return_window_closes(order, policy)
    if now.date() > closes:
        return _refusal(
            "window_passed",
            order,
            on=delivery_day(order),
            window_days=policy.return_window_days,
            window_closed=closes,
        )

    if line_id is None:
        if order.lines and all(_blocking_return(order, ln.id) for ln in order.lines):
            return _refusal("already_returned", order)
        return None

    line = order.line(line_id)
    if line is None:
        return _refusal("item_not_in_order", order, items=tuple(ln.title for ln in order.lines))
    existing = _blocking_return(order, line_id)
    if existing is not None:
        return _refusal(
            "already_returned",
            order,
            item=line.title,
            return_number=existing.number,
            return_status="open" if existing.is_open else existing.status,
        )
    return None


def cancel_refusal(order: OrderView, now: datetime | None = None) -> Refusal | None:
    """Why ``order`` can't be cancelled, or None while it is still pending or processing.

    ``now`` is unused by the decision; it is kept so callers need not change.
    """
    if order.status in CANCELLABLE_STATUSES:
        return None
    if order.status == "cancelled":
        return _refusal("already_cancelled", order, on=_day(order.cancelled_at))
    if order.status == "delivered":
        return _refusal("already_shipped", order, on=delivery_day(order))
    if order.status == "shipped":
        return _refusal("already_shipped", order, on=_day(order.shipped_at))
    return _refusal("already_shipped", order)


def _refusal(code: str, order: OrderView, **values: object) -> Refusal:
    return Refusal(code, order.number, order.status, **values)  # type: ignore[arg-type]


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def _blocking_return(order: OrderView, line_id: int) -> ReturnView | None:
    """A return of the line that rules out another one (anything but a rejected one)."""
    return next((r for r in order.returns_of_line(line_id) if r.status != "rejected"), None)
