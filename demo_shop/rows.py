"""A demo shop plan as database rows: ids, numbers and foreign keys, parents first.

``demo_shop.generator`` draws a ``ShopPlan`` (nothing in it knows the schema); this module
is the one place that knows which column each planned fact goes to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Table

from demo_shop.browsing import PlannedEvent
from demo_shop.calendar import ShopCalendar
from demo_shop.catalogue import Catalogue
from demo_shop.customers import CustomerProfile
from demo_shop.fixtures import PlannedChat
from demo_shop.orders import PlannedOrder, PlannedReturn
from store.models import (
    ChatSession,
    Customer,
    Event,
    Order,
    OrderLine,
    Product,
    Return,
    SessionOutcome,
    Shipment,
)

FIRST_RETURN_NUMBER = 10001


@dataclass(frozen=True)
class ShopPlan:
    """Everything generated, before it becomes rows."""

    catalogue: Catalogue
    people: list[CustomerProfile]
    fixed: list[CustomerProfile]
    orders: list[PlannedOrder]
    returns: list[PlannedReturn]
    events: list[PlannedEvent]
    chats: list[PlannedChat]


def return_number(position: int) -> str:
    """The number of the return at ``position`` in order of creation (R-10001 first)."""
    return f"R-{FIRST_RETURN_NUMBER + position}"


def table_rows(plan: ShopPlan, calendar: ShopCalendar) -> dict[Table, list[dict[str, Any]]]:
    """The table rows of a plan, parents before children."""
    catalogue, orders = plan.catalogue, plan.orders
    return {
        Customer.__table__: [c.row() for c in plan.people],
        Product.__table__: _product_rows(catalogue, calendar),
        Order.__table__: [_order_row(o, catalogue) for o in orders],
        OrderLine.__table__: [
            {
                "id": line_id,
                "order_id": o.id,
                "product_id": index + 1,
                "quantity": quantity,
                "unit_price": catalogue.products[index].price,
            }
            for o in orders
            for line_id, (index, quantity) in zip(o.line_ids, o.lines, strict=True)
        ],
        Shipment.__table__: _shipment_rows(orders),
        Return.__table__: [_return_row(n, r, catalogue) for n, r in enumerate(plan.returns)],
        Event.__table__: [_event_row(n, e) for n, e in enumerate(plan.events)],
        ChatSession.__table__: [_chat_row(n, c) for n, c in enumerate(plan.chats)],
        SessionOutcome.__table__: [
            {
                "id": n + 1,
                "session_id": n + 1,
                "kind": "order_looked_up",
                "ref": c.looked_up.number,
                "detail": {"status": "shipped"},
                "at": c.ended_at,
            }
            for n, c in enumerate(plan.chats)
        ],
    }


def _product_rows(catalogue: Catalogue, calendar: ShopCalendar) -> list[dict[str, Any]]:
    return [
        {
            "id": i + 1,
            "sku": p.sku,
            "title": p.title,
            "description": p.description,
            "category": p.category,
            "colour": p.colour,
            "price": p.price,
            "stock": p.stock,
            "created_at": (calendar.now - timedelta(days=p.age_days)).replace(microsecond=0),
        }
        for i, p in enumerate(catalogue.products)
    ]


def _order_row(order: PlannedOrder, catalogue: Catalogue) -> dict[str, Any]:
    assert order.lifecycle is not None
    total = sum(q * catalogue.products[i].price for i, q in order.lines)
    return {
        "id": order.id,
        "number": order.number,
        "customer_id": order.customer_id,
        "email": order.email,
        "status": order.lifecycle.status,
        "placed_at": order.placed_at,
        "cancelled_at": order.lifecycle.cancelled_at,
        "total": round(total, 2),
        "currency": "GBP",
        "country": order.country,
        "coupon_code": None,
        "kind": "order",
    }


def _shipment_rows(orders: list[PlannedOrder]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for order in orders:
        life = order.lifecycle
        if life is None or life.carrier is None:
            continue
        rows.append(
            {
                "id": len(rows) + 1,
                "order_id": order.id,
                "carrier": life.carrier,
                "tracking_number": life.tracking_number,
                "shipped_at": life.shipped_at,
                "estimated_delivery": life.estimated_delivery,
                "delivered_at": life.delivered_at,
            }
        )
    return rows


def _return_row(position: int, ret: PlannedReturn, catalogue: Catalogue) -> dict[str, Any]:
    index, quantity = ret.order.lines[ret.line]
    refund = (
        0.0 if ret.status == "rejected" else round(quantity * catalogue.products[index].price, 2)
    )
    return {
        "id": position + 1,
        "number": return_number(position),
        "order_id": ret.order.id,
        "order_line_id": ret.order.line_ids[ret.line],
        "customer_id": ret.order.customer_id,
        "reason": ret.reason,
        "status": ret.status,
        "refund_amount": refund,
        "created_at": ret.created_at,
        "updated_at": ret.updated_at,
    }


def _event_row(position: int, event: PlannedEvent) -> dict[str, Any]:
    customer_id, index, kind, query, at = event
    return {
        "id": position + 1,
        "customer_id": customer_id,
        "product_id": None if index is None else index + 1,
        "kind": kind,
        "query": query,
        "at": at,
    }


def _chat_row(position: int, chat: PlannedChat) -> dict[str, Any]:
    return {
        "id": position + 1,
        "sender_id": chat.sender_id,
        "customer_id": chat.customer_id,
        "channel": "web",
        "started_at": chat.started_at,
        "last_activity_at": chat.ended_at,
        "ended_at": chat.ended_at,
        "turns": len(chat.intents),
        "intents": list(chat.intents),
        "open_matter": None,
        "rating": None,
    }
