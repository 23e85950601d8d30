"""Read-only snapshots of store rows that the repository hands to actions and the console.

Views are frozen dataclasses built inside a session from ORM objects, so callers never
touch SQLAlchemy state (no lazy loads after the session closed, no accidental writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.models import (
    ChatSession,
    Customer,
    Handoff,
    Order,
    OrderLine,
    Return,
    SessionOutcome,
    Shipment,
)

# The kinds of session outcome, re-exported: actions record them through the repository.
from store.models import Outcome as Outcome

OPEN_RETURN_STATUSES = ("requested", "approved", "received")


@dataclass(frozen=True)
class CustomerView:
    """A customer's profile as the assistant may use it."""

    id: int
    email: str
    first_name: str | None
    last_name: str | None
    display_name: str
    country: str | None
    marketing_consent: bool
    offers_opt_out: bool
    tags: dict[str, Any]
    # The shop's own id for the customer (what its server signs identities with).
    external_ref: str | None = None

    @classmethod
    def of(cls, row: Customer) -> CustomerView:
        """Snapshot a customer row."""
        return cls(
            id=row.id,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            display_name=row.display_name,
            country=row.country,
            marketing_consent=bool(row.marketing_consent),
            offers_opt_out=bool(row.offers_opt_out),
            tags=dict(row.tags or {}),
            external_ref=row.external_ref,
        )


@dataclass(frozen=True)
class OrderLineView:
    """One product line of an order."""

    id: int
    product_id: int
    sku: str
    title: str
    category: str
    quantity: int
    unit_price: float

    @property
    def amount(self) -> float:
        """Quantity times unit price, rounded to pence."""
        return round(self.quantity * self.unit_price, 2)

    @classmethod
    def of(cls, row: OrderLine) -> OrderLineView:
        """Snapshot an order line with its product's identity."""
        return cls(
            id=row.id,
            product_id=row.product_id,
            sku=row.product.sku,
            title=row.product.title,
            category=row.product.category,
            quantity=row.quantity,
            unit_price=row.unit_price,
        )


@dataclass(frozen=True)
class ShipmentView:
    """A parcel of an order and where it is."""

    carrier: str
    tracking_number: str
    shipped_at: datetime
    estimated_delivery: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, row: Shipment) -> ShipmentView:
        """Snapshot a shipment row."""
        return cls(
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            shipped_at=row.shipped_at,
            estimated_delivery=row.estimated_delivery,
            delivered_at=row.delivered_at,
        )


@dataclass(frozen=True)
class ReturnView:
    """A return request for one order line."""

    number: str
    order_number: str
    order_line_id: int
    item_title: str
    reason: str
    status: str
    refund_amount: float
    created_at: datetime
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        """True while the return is still being handled."""
        return self.status in OPEN_RETURN_STATUSES

    @classmethod
    def of(cls, row: Return) -> ReturnView:
        """Snapshot a return row (its order and line must be loadable)."""
        return cls(
            number=row.number,
            order_number=row.order.number,
            order_line_id=row.order_line_id,
            item_title=row.line.product.title,
            reason=row.reason,
            status=row.status,
            refund_amount=row.refund_amount,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True)
class OrderView:
    """An order with its lines, shipments and returns."""

    id: int
    number: str
    customer_id: int | None
    email: str
    status: str
    placed_at: datetime
    cancelled_at: datetime | None
    total: float
    currency: str
    lines: tuple[OrderLineView, ...]
    shipments: tuple[ShipmentView, ...]
    returns: tuple[ReturnView, ...]

    @property
    def delivered_at(self) -> datetime | None:
        """When the last delivered parcel arrived, or None before any arrived."""
        return max(
            (s.delivered_at for s in self.shipments if s.delivered_at is not None),
            default=None,
        )

    @property
    def shipped_at(self) -> datetime | None:
        """When the first parcel left, or None before dispatch."""
        return min((s.shipped_at for s in self.shipments), default=None)

    def line(self, line_id: int) -> OrderLineView | None:
        """The line with this id, or None when the order has no such line."""
        return next((ln for ln in self.lines if ln.id == line_id), None)

    def returns_of_line(self, line_id: int) -> tuple[ReturnView, ...]:
        """Every return made for one line, oldest first."""
        return tuple(r for r in self.returns if r.order_line_id == line_id)

    @classmethod
    def of(cls, row: Order) -> OrderView:
        """Snapshot an order row and its children."""
        return cls(
            id=row.id,
            number=row.number,
            customer_id=row.customer_id,
            email=row.email,
            status=row.status,
            placed_at=row.placed_at,
            cancelled_at=row.cancelled_at,
            total=row.total,
            currency=row.currency,
            lines=tuple(OrderLineView.of(ln) for ln in row.lines),
            shipments=tuple(ShipmentView.of(s) for s in row.shipments),
            returns=tuple(ReturnView.of(r) for r in row.returns),
        )


@dataclass(frozen=True)
class OutcomeView:
    """One business outcome of a chat session (order looked up, return created, ...)."""

    kind: str
    ref: str | None
    detail: dict[str, Any]
    at: datetime

    @classmethod
    def of(cls, row: SessionOutcome) -> OutcomeView:
        """Snapshot an outcome row."""
        return cls(kind=row.kind, ref=row.ref, detail=dict(row.detail or {}), at=row.at)


@dataclass(frozen=True)
class SessionView:
    """A chat session with its activity counters and outcomes."""

    id: int
    sender_id: str
    customer_id: int | None
    channel: str
    started_at: datetime
    last_activity_at: datetime
    ended_at: datetime | None
    turns: int
    intents: tuple[str, ...]
    open_matter: dict[str, Any] | None
    outcomes: tuple[OutcomeView, ...]

    @classmethod
    def of(cls, row: ChatSession) -> SessionView:
        """Snapshot a chat session row and its outcomes."""
        return cls(
            id=row.id,
            sender_id=row.sender_id,
            customer_id=row.customer_id,
            channel=row.channel,
            started_at=row.started_at,
            last_activity_at=row.last_activity_at,
            ended_at=row.ended_at,
            turns=row.turns or 0,
            intents=tuple(row.intents or ()),
            open_matter=dict(row.open_matter) if row.open_matter else None,
            outcomes=tuple(OutcomeView.of(o) for o in row.outcomes),
        )


@dataclass(frozen=True)
class HandoffView:
    """A request for a human agent."""

    id: int
    sender_id: str
    customer_id: int | None
    status: str
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Handoff) -> HandoffView:
        """Snapshot a handoff row."""
        return cls(
            id=row.id,
            sender_id=row.sender_id,
            customer_id=row.customer_id,
            status=row.status,
            reason=row.reason,
            created_at=row.created_at,
        )
