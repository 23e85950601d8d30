"""Read-only access to Rasa's SQL tracker store (table ``events``) with SQLAlchemy Core.

Rasa owns that database; the console only reads it: SQLite files are opened with
``mode=ro`` so a bug here can never write to Rasa's store. Filters that scan every event
(text search, intent, fallback, low confidence) return the matching sender ids, which
the conversation list then intersects with ``chat_sessions``.

Rasa stores each event's JSON in a TEXT column. SQLite's JSON functions read text as it
is; PostgreSQL's JSON operators need the text cast first, so queries into an event's
payload go through :func:`event_data`, which writes the right SQL for each database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Engine,
    create_engine,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from store.db import make_engine

# Rasa's `events` table is defined once, where the store reads and erases it.
from store.tracker_store import events

FALLBACK_ACTIONS = ("action_default_fallback", "action_two_stage_fallback")
FALLBACK_INTENTS = ("nlu_fallback",)


@dataclass(frozen=True)
class TrackerEvent:
    """One tracker event: its type, time (epoch seconds) and Rasa's JSON payload."""

    type_name: str
    timestamp: float
    intent_name: str | None
    action_name: str | None
    data: dict[str, Any]


class event_data(FunctionElement[Any]):  # noqa: N801 - reads like the SQL function it is
    """An event's ``data`` column as JSON: ``event_data()["text"].as_string()``.

    Plain text on SQLite (its JSON functions parse text), ``CAST(... AS JSON)`` on
    PostgreSQL, where Rasa's column is TEXT and JSON operators need a JSON value.
    """

    type = JSON()
    inherit_cache = True
    name = "event_data"

    def __init__(self) -> None:
        super().__init__(events.c.data)


@compiles(event_data)
def _event_data_as_text(element: event_data, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(event_data, "postgresql")
def _event_data_as_json(element: event_data, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS JSON)"


def read_only_engine(url: str) -> Engine | None:
    """An engine that cannot write to the tracker store; None if its SQLite file is missing.

    A PostgreSQL URL may name Rasa's driver (``postgresql://``, psycopg2): it is opened
    with psycopg 3 in read-only transactions, through the store's pooled engine set-up.
    """
    parsed = make_url(url)
    # Errors are logged; their text must not repeat a staff search for a customer's words.
    if parsed.get_backend_name() != "sqlite":
        return make_engine(url, execution_options={"postgresql_readonly": True})
    database = parsed.database or ""
    if not database or database == ":memory:" or not Path(database).exists():
        return None
    uri = f"file:{Path(database).resolve()}?mode=ro"
    return create_engine("sqlite:///" + uri + "&uri=true", hide_parameters=True)


class TrackerReader:
    """Queries over the tracker store's events; an absent store reads as empty."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine: Engine | None = None

    def engine(self) -> Engine | None:
        """The read-only engine, opened on first use; None while Rasa has no store yet.

        The one lazily opened tracker-store engine of the console: the conversation list,
        the transcripts, the NLU inbox and ``/metrics`` all read through it.
        """
        # Rasa creates the file (SQLite) or the table (PostgreSQL, when its server starts)
        # maybe after the console started: until then the store reads as empty.
        if self._engine is None:
            engine = read_only_engine(self._url)
            if engine is not None and not inspect(engine).has_table(events.name):
                engine.dispose()
                engine = None
            self._engine = engine
        return self._engine

    def close(self) -> None:
        """Release the connections."""
        if self._engine is not None:
            self._engine.dispose()

    def events_of(self, sender_id: str, start: float, end: float | None) -> list[TrackerEvent]:
        """The sender's events with ``start <= timestamp < end``, in order."""
        engine = self.engine()
        if engine is None:
            return []
        query = select(events).where(events.c.sender_id == sender_id, events.c.timestamp >= start)
        if end is not None:
            query = query.where(events.c.timestamp < end)
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(events.c.id)).all()
        return [
            TrackerEvent(
                type_name=r.type_name,
                timestamp=r.timestamp or 0.0,
                intent_name=r.intent_name,
                action_name=r.action_name,
                data=_json(r.data),
            )
            for r in rows
        ]

    def fallback_counts(self) -> tuple[int, int]:
        """(user turns classified ``nlu_fallback``, fallback actions run); zeros without a store."""
        engine = self.engine()
        if engine is None:
            return 0, 0
        with engine.connect() as conn:
            intents = conn.scalar(
                select(func.count()).where(
                    events.c.type_name == "user", events.c.intent_name.in_(FALLBACK_INTENTS)
                )
            )
            actions = conn.scalar(
                select(func.count()).where(
                    events.c.type_name == "action", events.c.action_name.in_(FALLBACK_ACTIONS)
                )
            )
        return intents or 0, actions or 0

    def senders_where(
        self,
        *,
        intent: str | None = None,
        fallback: bool = False,
        low_confidence_below: float | None = None,
        text: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> set[str]:
        """Sender ids having at least one event that meets every given condition."""
        engine = self.engine()
        if engine is None:
            return set()
        query = select(events.c.sender_id).distinct()
        if since is not None:
            query = query.where(events.c.timestamp >= since)
        if until is not None:
            query = query.where(events.c.timestamp < until)
        if intent:
            query = query.where(events.c.type_name == "user", events.c.intent_name == intent)
        if fallback:
            query = query.where(
                or_(
                    (events.c.type_name == "action") & events.c.action_name.in_(FALLBACK_ACTIONS),
                    (events.c.type_name == "user") & events.c.intent_name.in_(FALLBACK_INTENTS),
                )
            )
        if low_confidence_below is not None:
            confidence = event_data()["parse_data"]["intent"]["confidence"]
            query = query.where(
                events.c.type_name == "user", confidence.as_float() < low_confidence_below
            )
        if text:
            query = query.where(
                events.c.type_name.in_(("user", "bot")),
                event_data()["text"].as_string().ilike(f"%{_escape_like(text)}%", escape="\\"),
            )
        with engine.connect() as conn:
            return set(conn.scalars(query))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _json(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
