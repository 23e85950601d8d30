"""Fast inserts of many rows with ids chosen by the caller (generator and importers).

Rows carry explicit primary keys so that orders, lines, shipments and returns can refer to
each other without a round trip per row. PostgreSQL's id sequences do not see explicit
ids, so ``advance_id_sequences`` moves them past the inserted rows afterwards.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import MetaData, Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from store.models import (
    Base,
    ChatSession,
    Customer,
    Event,
    Handoff,
    Identity,
    Order,
    OrderLine,
    Product,
    Return,
    SessionOutcome,
    Shipment,
)

SHOP_MODELS = (
    Customer,
    Identity,
    Product,
    Order,
    OrderLine,
    Shipment,
    Return,
    Event,
    ChatSession,
    SessionOutcome,
    Handoff,
)

CHUNK_ROWS = 20_000


def next_id(session: Session, table: Table) -> int:
    """The first free id of ``table`` (1 for an empty table)."""
    return (session.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def insert_rows(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` in chunks (one executemany each); returns how many were inserted."""
    iterator, written = iter(rows), 0
    while chunk := list(itertools.islice(iterator, CHUNK_ROWS)):
        session.execute(insert(table), chunk)
        written += len(chunk)
    return written


def advance_id_sequences(session: Session, tables: Iterable[Table]) -> None:
    """On PostgreSQL, move each table's id sequence past its largest id; elsewhere a no-op."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )


def shop_tables() -> list[Table]:
    """The tables of ``store.models``, parents before children."""
    own = {model.__table__.name for model in SHOP_MODELS}
    return [table for table in Base.metadata.sorted_tables if table.name in own]


def database_tables(session: Session) -> list[Table]:
    """Every table the database really has (other packages' too), parents before children."""
    metadata = MetaData()
    metadata.reflect(bind=session.connection())
    return [t for t in metadata.sorted_tables if t.name != "alembic_version"]


def clear_shop_data(session: Session) -> list[str]:
    """Delete the shop's rows and every row that refers to them; returns the tables emptied.

    Tables that do not depend on shop rows (e.g. promotion campaigns) keep their rows.
    """
    tables = database_tables(session)
    doomed = {table.name for table in shop_tables()}
    grew = True
    while grew:  # add tables whose foreign keys point at a doomed table, transitively
        before = len(doomed)
        doomed |= {
            t.name for t in tables if any(fk.column.table.name in doomed for fk in t.foreign_keys)
        }
        grew = len(doomed) > before
    emptied = [t for t in tables if t.name in doomed]
    for table in reversed(emptied):
        session.execute(delete(table))
    return [t.name for t in emptied]


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table of the database."""
    return {
        table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in database_tables(session)
    }
