"""Read the shop's history out of the store, and write scores and segments back as tags.

Reads are plain ``select``s over ``store.models`` (read-only); the only write is one
bulk update of ``Customer.tags`` with the keys recsys owns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from recsys.interactions import PURCHASE, Catalogue, DataError, Interactions
from store.models import Customer, Event, Order, OrderLine, Product

# Tag keys recsys writes; other keys in Customer.tags belong to someone else and are kept.
TAG_KEYS = ("segment", "lifecycle", "propensity", "propensity_reasons", "recsys_version")
BROWSING_KINDS = ("view", "add_to_cart", "wishlist")


@dataclass(frozen=True)
class StoreData:
    """Everything the models train on, as of one read of the store."""

    interactions: Interactions
    catalogue: Catalogue
    customers: pd.DataFrame  # customer, created_at
    orders: pd.DataFrame  # customer, order, timestamp, amount
    lines: pd.DataFrame  # customer, timestamp, category
    events: pd.DataFrame  # customer, timestamp, kind

    def fingerprint(self) -> str:
        """Changes whenever interactions, catalogue text/stock or customers change."""
        digest = hashlib.sha256()
        digest.update(self.interactions.fingerprint().encode())
        digest.update(self.catalogue.text_fingerprint().encode())
        stock = self.catalogue.stock if self.catalogue.stock is not None else np.zeros(0)
        digest.update(np.asarray(stock, dtype=np.int64).tobytes())
        digest.update(np.asarray(self.catalogue.prices, dtype=float).tobytes())
        digest.update(str(len(self.customers)).encode())
        return digest.hexdigest()[:16]


def load_store_data(factory: sessionmaker[Session]) -> StoreData:
    """Orders (not cancelled, not credit notes), order lines, browsing events, catalogue."""
    with factory() as session:
        catalogue = _catalogue(session)
        customers = pd.DataFrame(
            session.execute(select(Customer.id, Customer.created_at)).all(),
            columns=["customer", "created_at"],
        )
        line_rows = session.execute(
            select(
                Order.customer_id,
                Order.number,
                Order.placed_at,
                OrderLine.product_id,
                OrderLine.quantity,
                Product.category,
            )  # fmt: skip
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(
                Order.customer_id.is_not(None), Order.status != "cancelled", Order.kind == "order"
            )
        ).all()
        order_rows = session.execute(
            select(Order.customer_id, Order.number, Order.placed_at, Order.total).where(
                Order.customer_id.is_not(None), Order.status != "cancelled", Order.kind == "order"
            )
        ).all()
        event_rows = session.execute(
            select(Event.customer_id, Event.product_id, Event.kind, Event.at)
        ).all()
    if catalogue is None or not line_rows:
        raise DataError("the store has no products or no orders yet: generate or import data first")
    lines = pd.DataFrame(
        line_rows, columns=["customer", "order", "timestamp", "item", "quantity", "category"]
    )
    events = pd.DataFrame(event_rows, columns=["customer", "item", "kind", "timestamp"])
    product_events = events[events["item"].notna() & events["kind"].isin(BROWSING_KINDS)]
    frame = pd.concat(
        [
            lines.assign(weight=1.0, kind=PURCHASE, basket=lines["order"])[
                ["customer", "item", "timestamp", "weight", "basket", "kind"]
            ],
            product_events.assign(weight=1.0, basket=None)[
                ["customer", "item", "timestamp", "weight", "basket", "kind"]
            ],
        ],
        ignore_index=True,
    ).rename(columns={"customer": "user"})
    frame["item"] = frame["item"].astype(np.int64)
    frame = frame.sort_values(["timestamp", "user", "item"], kind="stable")
    return StoreData(
        interactions=Interactions.from_frame(frame),
        catalogue=catalogue,
        customers=customers,
        orders=pd.DataFrame(order_rows, columns=["customer", "order", "timestamp", "amount"]),
        lines=lines[["customer", "timestamp", "category"]],
        events=events[["customer", "timestamp", "kind"]],
    )


def _catalogue(session: Session) -> Catalogue | None:
    rows = session.execute(
        select(
            Product.id,
            Product.title,
            Product.description,
            Product.category,
            Product.colour,
            Product.price,
            Product.stock,
        ).order_by(Product.id)  # fmt: skip
    ).all()
    if not rows:
        return None
    ids, titles, descriptions, categories, colours, prices, stock = zip(*rows, strict=True)
    return Catalogue(
        item_ids=np.array(ids, dtype=np.int64),
        titles=np.array(titles, dtype=object),
        descriptions=np.array([d or "" for d in descriptions], dtype=object),
        categories=np.array(categories, dtype=object),
        colours=np.array([c or "" for c in colours], dtype=object),
        prices=np.array(prices, dtype=float),
        stock=np.array(stock, dtype=np.int64),
    )


def write_customer_tags(
    factory: sessionmaker[Session], tags: Mapping[int, Mapping[str, Any]]
) -> int:
    """Merge recsys' tags into ``Customer.tags`` in one bulk update; returns rows updated."""
    if not tags:
        return 0
    with factory() as session, session.begin():
        current: dict[int, Any] = dict(session.execute(select(Customer.id, Customer.tags)).all())
        rows = []
        for customer_id, new in tags.items():
            if customer_id not in current:
                continue
            kept = {k: v for k, v in (current[customer_id] or {}).items() if k not in TAG_KEYS}
            rows.append({"id": customer_id, "tags": {**kept, **dict(new)}})
        if rows:
            session.execute(update(Customer), rows)
    return len(rows)
