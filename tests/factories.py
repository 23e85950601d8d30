"""Small helpers that put known rows into a real, migrated shop database for tests.

Every helper takes the session factory, commits its own rows and returns plain values
(ids, numbers), so tests never hold ORM objects. Typical use::

    sessions = migrated_store(tmp_path)
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna")
    order = add_order(sessions, customer_id=anna, status="delivered",
                      placed_at=datetime(2024, 3, 1, 10), delivered_at=datetime(2024, 3, 3, 12))
    order.number, order.line_ids[0]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_session_factory, upgrade
from store.models import (
    ORDER_STATUSES,
    Customer,
    Event,
    Identity,
    Order,
    OrderLine,
    Product,
    Return,
    Shipment,
)

_serial = itertools.count(1)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class MadeOrder:
    """What add_order inserted."""

    id: int
    number: str
    email: str
    customer_id: int | None
    status: str
    line_ids: tuple[int, ...]
    product_ids: tuple[int, ...]


def sqlite_url(tmp_path: Path, name: str = "shop.db") -> str:
    """The URL of a SQLite file inside ``tmp_path``."""
    return f"sqlite:///{tmp_path / name}"


def migrated_store(tmp_path: Path, name: str = "shop.db") -> sessionmaker[Session]:
    """Create a SQLite file in ``tmp_path``, run the migrations, return a session factory."""
    url = sqlite_url(tmp_path, name)
    upgrade(url)
    return make_session_factory(make_engine(url))


# add_customer's default: a made-up shop id (pass None for a customer without one).
_SHOP_REF = "\0shop-ref"


def add_customer(
    sessions: sessionmaker[Session],
    *,
    email: str | None = None,
    first_name: str | None = "Anna",
    last_name: str | None = "Smith",
    country: str | None = "United Kingdom",
    city: str | None = "Leeds",
    marketing_consent: bool = False,
    email_opt_in: bool = False,
    offers_opt_out: bool = False,
    tags: dict[str, Any] | None = None,
    preferences: dict[str, Any] | None = None,
    created_at: datetime | None = None,
    external_ref: str | None = _SHOP_REF,
) -> int:
    """Insert a customer and return its id (a unique e-mail and shop id are made up)."""
    n = next(_serial)
    customer = Customer(
        email=email or f"customer{n}@example.com",
        first_name=first_name,
        last_name=last_name,
        country=country,
        city=city,
        marketing_consent=marketing_consent,
        email_opt_in=email_opt_in,
        offers_opt_out=offers_opt_out,
        tags=dict(tags or {}),
        preferences=dict(preferences or {}),
        created_at=created_at or _now() - timedelta(days=365),
        # The shop's own id, so the demo picker can sign the customer in; None means None.
        external_ref=f"shop-{n}" if external_ref is _SHOP_REF else external_ref,
    )
    with sessions() as s, s.begin():
        s.add(customer)
        s.flush()
        return customer.id


def add_identity(
    sessions: sessionmaker[Session], sender_id: str, customer_id: int, channel: str = "web"
) -> None:
    """Link a channel user id (e.g. a web chat sender id) to a customer."""
    with sessions() as s, s.begin():
        s.add(
            Identity(
                channel=channel,
                channel_user_id=sender_id,
                customer_id=customer_id,
                created_at=_now(),
            )
        )


def add_product(
    sessions: sessionmaker[Session],
    *,
    title: str = "Linen table lamp",
    category: str = "lighting",
    price: float = 39.0,
    sku: str | None = None,
    description: str = "",
    colour: str | None = None,
    stock: int = 10,
    created_at: datetime | None = None,
) -> int:
    """Insert a product and return its id (a unique SKU is made up when none given)."""
    product = Product(
        sku=sku or f"SKU-{next(_serial):05d}",
        title=title,
        category=category,
        price=price,
        description=description,
        colour=colour,
        stock=stock,
        created_at=created_at or _now() - timedelta(days=400),
    )
    with sessions() as s, s.begin():
        s.add(product)
        s.flush()
        return product.id


def add_order(
    sessions: sessionmaker[Session],
    *,
    customer_id: int | None = None,
    email: str | None = None,
    status: str = "delivered",
    placed_at: datetime | None = None,
    lines: Sequence[tuple[int, int] | tuple[int, int, float]] | None = None,
    number: str | None = None,
    shipped_at: datetime | None = None,
    delivered_at: datetime | None = None,
    estimated_delivery: datetime | None = None,
    cancelled_at: datetime | None = None,
    carrier: str = "Royal Mail",
    coupon_code: str | None = None,
    currency: str = "GBP",
    country: str | None = "United Kingdom",
) -> MadeOrder:
    """Insert an order in ``status`` with its lines and, once shipped, a shipment.

    ``lines`` are ``(product_id, quantity)`` or ``(product_id, quantity, unit_price)``;
    without them one new product is ordered once. The e-mail defaults to the customer's.
    Dates default to a plausible timeline from ``placed_at`` (two days ago): shipped a day
    later, delivered two days after that.
    """
    if status not in ORDER_STATUSES:
        raise ValueError(f"status must be one of {ORDER_STATUSES}, got {status!r}")
    placed_at = placed_at or _now() - timedelta(days=2)
    if lines is None:
        lines = [(add_product(sessions), 1)]
    with sessions() as s, s.begin():
        if email is None:
            email = (
                s.get(Customer, customer_id).email
                if customer_id is not None
                else f"guest{next(_serial)}@example.com"
            )
        order_lines = []
        for line in lines:
            product_id, quantity = line[0], line[1]
            unit_price = line[2] if len(line) > 2 else s.get(Product, product_id).price
            order_lines.append(
                OrderLine(product_id=product_id, quantity=quantity, unit_price=unit_price)
            )
        order = Order(
            number=number or str(10000 + next(_serial)),
            customer_id=customer_id,
            email=email,
            status=status,
            placed_at=placed_at,
            total=round(sum(ln.quantity * ln.unit_price for ln in order_lines), 2),
            currency=currency,
            country=country,
            coupon_code=coupon_code,
            lines=order_lines,
        )
        if status == "cancelled":
            order.cancelled_at = cancelled_at or placed_at + timedelta(hours=2)
        if status in ("shipped", "delivered"):
            shipped = shipped_at or placed_at + timedelta(days=1)
            order.shipments.append(
                Shipment(
                    carrier=carrier,
                    tracking_number=f"TR{next(_serial):010d}GB",
                    shipped_at=shipped,
                    estimated_delivery=estimated_delivery or shipped + timedelta(days=3),
                    delivered_at=(delivered_at or shipped + timedelta(days=2))
                    if status == "delivered"
                    else None,
                )
            )
        s.add(order)
        s.flush()
        return MadeOrder(
            id=order.id,
            number=order.number,
            email=order.email,
            customer_id=customer_id,
            status=status,
            line_ids=tuple(ln.id for ln in order_lines),
            product_ids=tuple(ln.product_id for ln in order_lines),
        )


def add_return(
    sessions: sessionmaker[Session],
    order: MadeOrder,
    line_id: int | None = None,
    *,
    status: str = "requested",
    reason: str = "changed my mind",
    created_at: datetime | None = None,
) -> str:
    """Insert a return of one line of ``order`` directly (no rules) and return its number."""
    line_id = line_id if line_id is not None else order.line_ids[0]
    created_at = created_at or _now()
    with sessions() as s, s.begin():
        line = s.get(OrderLine, line_id)
        ret = Return(
            number=f"tmp-{next(_serial)}",
            order_id=order.id,
            order_line_id=line_id,
            customer_id=order.customer_id,
            reason=reason,
            status=status,
            refund_amount=round(line.quantity * line.unit_price, 2),
            created_at=created_at,
            updated_at=created_at,
        )
        s.add(ret)
        s.flush()
        # Same numbering as ShopRepository.create_return.
        ret.number = f"R-{10000 + ret.id}"
        return ret.number


def add_event(
    sessions: sessionmaker[Session],
    customer_id: int,
    kind: str = "view",
    *,
    product_id: int | None = None,
    query: str | None = None,
    at: datetime | None = None,
) -> int:
    """Insert a browsing event and return its id."""
    event = Event(
        customer_id=customer_id,
        product_id=product_id,
        kind=kind,
        query=query,
        at=at or _now(),
    )
    with sessions() as s, s.begin():
        s.add(event)
        s.flush()
        return event.id
