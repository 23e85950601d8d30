"""Queries the demo-shop tests read the generated database with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from store.bulk_insert import shop_tables


def rows(sessions: sessionmaker[Session], sql: str, **params: Any) -> list[Any]:
    """The rows of a raw SQL query."""
    with sessions() as session:
        return list(session.execute(text(sql), params))


def dump(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every shop table, ordered by id."""
    with sessions() as session:
        return {
            table.name: [tuple(r) for r in session.execute(select(table).order_by(table.c.id))]
            for table in shop_tables()
        }


def order_row(sessions: sessionmaker[Session], number: str) -> Any:
    """The order with ``number`` and its shipment's columns (exactly one row)."""
    found = rows(
        sessions,
        "SELECT o.*, s.carrier, s.tracking_number, s.estimated_delivery, "
        "s.delivered_at FROM orders o LEFT JOIN shipments s ON s.order_id = o.id "
        "WHERE o.number = :n",
        n=number,
    )
    assert len(found) == 1, number
    return found[0]
