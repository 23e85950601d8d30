"""Reading and deleting conversations in Rasa's SQL tracker store, for export and erasure.

Rasa owns that database (``CONCIERGE_TRACKER_DB_URL``, table ``events``); the console
only ever reads it. Erasure and retention are the two places that must delete from it,
so the writes live here, each in one transaction. Rasa's ``SQLTrackerStore`` reads a
conversation's events from the table on every turn, so deleted events are gone for
Rasa too, without restarting it.

On PostgreSQL the URL is usually the one Rasa is given (``postgresql://``, psycopg2 in
Rasa's environment); it is opened here with psycopg 3 (``store.db.main_env_url``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import make_url

from store.db import SQLITE_BUSY_TIMEOUT_MS, make_engine

# Rasa's SQLTrackerStore schema (rasa/core/tracker_store.py, class SQLEvent).
_metadata = MetaData()
events = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

# The slot the actions link a conversation to a customer with (actions/base.py).
CUSTOMER_SLOT = "customer_id"
# The slot a guest's order e-mail is kept in (bot/domain): their chats are about them too.
EMAIL_SLOT = "order_email"

# SQL parameter lists stay well under SQLite's limit of 999 bound values.
_CHUNK = 500


def create_schema(engine: Engine) -> None:
    """Create the ``events`` table as Rasa does (tests use this for a store Rasa never ran on)."""
    _metadata.create_all(engine)


class TrackerStore:
    """Rasa's ``events`` table: a conversation's events, and deleting conversations.

    A SQLite file that does not exist yet (Rasa has had no conversation) reads as empty
    and is not created.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine: Engine | None = None

    def _open(self) -> Engine | None:
        if self._engine is None:
            parsed = make_url(self._url)
            if parsed.get_backend_name() == "sqlite":
                database = parsed.database or ""
                if database in ("", ":memory:") or not Path(database).expanduser().exists():
                    return None
                # Rasa's file: no journal-mode change, just wait for Rasa's own writes.
                self._engine = create_engine(
                    self._url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
                )
            else:
                self._engine = make_engine(self._url)
            if not inspect(self._engine).has_table("events"):
                self._engine.dispose()
                self._engine = None
        return self._engine

    @contextmanager
    def _transaction(self) -> Iterator[Connection | None]:
        engine = self._open()
        if engine is None:
            yield None
            return
        with engine.begin() as conn:
            yield conn

    def close(self) -> None:
        """Release the connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def events_of(self, sender_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Every event of each sender, oldest first, as Rasa stored it (its JSON ``data``)."""
        found: dict[str, list[dict[str, Any]]] = {}
        with self._transaction() as conn:
            if conn is None:
                return found
            for chunk in _chunks(sender_ids):
                rows = conn.execute(
                    select(events).where(events.c.sender_id.in_(chunk)).order_by(events.c.id)
                )
                for row in rows:
                    found.setdefault(row.sender_id, []).append(
                        {
                            "id": row.id,
                            "type_name": row.type_name,
                            "timestamp": row.timestamp,
                            "intent_name": row.intent_name,
                            "action_name": row.action_name,
                            "data": _json(row.data),
                        }
                    )
        return found

    def senders_linked_to(self, customer_id: int, email: str | None = None) -> set[str]:
        """Senders whose tracker ever held this customer's id, or their e-mail as a guest's."""
        wanted = str(customer_id)
        email = (email or "").strip().lower()
        senders: set[str] = set()
        with self._transaction() as conn:
            if conn is None:
                return senders
            rows = conn.execute(
                select(events.c.sender_id, events.c.data).where(
                    events.c.type_name == "slot",
                    or_(
                        events.c.data.like(f'%"{CUSTOMER_SLOT}"%'),
                        events.c.data.like(f'%"{EMAIL_SLOT}"%'),
                    ),
                )
            )
            for sender_id, data in rows:
                payload = _json(data)
                name, value = payload.get("name"), payload.get("value")
                if (name == CUSTOMER_SLOT and _as_id(value) == wanted) or (
                    name == EMAIL_SLOT and email and str(value).strip().lower() == email
                ):
                    senders.add(sender_id)
        return senders

    def delete_senders(self, sender_ids: Collection[str]) -> int:
        """Delete every event of these senders in one transaction; returns how many."""
        deleted = 0
        with self._transaction() as conn:
            if conn is None:
                return 0
            for chunk in _chunks(sender_ids):
                deleted += conn.execute(
                    delete(events).where(events.c.sender_id.in_(chunk))
                ).rowcount
        return deleted

    def delete_before(self, sender_id: str, before: float, conn: Connection) -> int:
        """Delete one sender's events older than ``before`` (epoch seconds)."""
        query = delete(events).where(events.c.sender_id == sender_id, events.c.timestamp < before)
        return conn.execute(query).rowcount

    def delete_idle_since(self, cutoff: float) -> tuple[int, int]:
        """Delete whole trackers whose newest event is older than ``cutoff`` (epoch seconds).

        Returns (senders, events) deleted. One transaction.
        """
        with self._transaction() as conn:
            if conn is None:
                return 0, 0
            idle = list(
                conn.scalars(
                    select(events.c.sender_id)
                    .group_by(events.c.sender_id)
                    .having(func.max(events.c.timestamp) < cutoff)
                )
            )
            removed = 0
            for chunk in _chunks(idle):
                removed += conn.execute(
                    delete(events).where(events.c.sender_id.in_(chunk))
                ).rowcount
        return len(idle), removed

    def prune_guests(self, cuts: dict[str, float | None]) -> int:
        """For each guest sender, delete its events before the time given (None: all of them).

        One transaction; returns how many events were deleted.
        """
        removed = 0
        with self._transaction() as conn:
            if conn is None:
                return 0
            whole = [sender for sender, cut in cuts.items() if cut is None]
            for chunk in _chunks(whole):
                removed += conn.execute(
                    delete(events).where(events.c.sender_id.in_(chunk))
                ).rowcount
            for sender, cut in cuts.items():
                if cut is not None:
                    removed += self.delete_before(sender, cut, conn)
        return removed


def _chunks(items: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _as_id(value: Any) -> str | None:
    # The slot may hold 42, "42" or 42.0 depending on who set it.
    try:
        return str(int(float(value)))
    except (TypeError, ValueError):
        return None


def _json(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
