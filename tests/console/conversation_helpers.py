"""Helpers that write chat sessions into the store and Rasa-shaped events into a tracker file.

The tracker file has exactly the schema of Rasa's SQLTrackerStore and events shaped as
Rasa 3.6 writes them (copied from a real tracker of this project), so the console reads
what it will meet in production.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from store.models import ChatSession, Handoff, SessionOutcome

RASA_EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT,
    PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id);
"""


def epoch(at: datetime) -> float:
    return at.replace(tzinfo=UTC).timestamp()


def add_session(
    sessions: sessionmaker[Session],
    sender_id: str,
    started_at: datetime,
    *,
    customer_id: int | None = None,
    channel: str = "web",
    intents: tuple[str, ...] = (),
    outcomes: tuple[str, ...] = (),
    rating: int | None = None,
) -> int:
    """Insert a chat session (and its outcomes); returns its id."""
    with sessions() as s, s.begin():
        row = ChatSession(
            sender_id=sender_id,
            customer_id=customer_id,
            channel=channel,
            started_at=started_at,
            last_activity_at=started_at + timedelta(minutes=2),
            turns=len(intents),
            intents=list(intents),
            rating=rating,
            outcomes=[],
        )
        s.add(row)
        s.flush()
        for kind in outcomes:
            s.add(
                SessionOutcome(
                    session_id=row.id,
                    kind=kind,
                    ref=None,
                    detail={},
                    at=started_at + timedelta(seconds=30),
                )
            )
        return row.id


def add_handoff(
    sessions: sessionmaker[Session],
    session_id: int,
    sender_id: str,
    at: datetime,
    customer_id: int | None = None,
    reason: str | None = "wants a person",
) -> int:
    """Queue a waiting handoff as the bot's action does; returns its id."""
    with sessions() as s, s.begin():
        row = Handoff(
            session_id=session_id,
            sender_id=sender_id,
            customer_id=customer_id,
            reason=reason,
            status="waiting",
            created_at=at,
        )
        s.add(row)
        s.flush()
        return row.id


class TrackerFile:
    """A SQLite tracker store file written the way Rasa writes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with sqlite3.connect(path) as conn:
            conn.executescript(RASA_EVENTS_SCHEMA)

    def _add(
        self,
        sender: str,
        type_name: str,
        at: datetime,
        data: dict[str, Any],
        intent: str | None = None,
        action: str | None = None,
    ) -> None:
        ts = epoch(at)
        data = {"event": type_name, "timestamp": ts, **data}
        with sqlite3.connect(self.path) as conn:
            conn.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name,"
                " data) VALUES (?, ?, ?, ?, ?, ?)",
                (sender, type_name, ts, intent, action, json.dumps(data)),
            )

    def session_start(self, sender: str, at: datetime) -> None:
        self._add(
            sender,
            "action",
            at,
            {"name": "action_session_start", "policy": None, "confidence": 1.0},
            action="action_session_start",
        )
        self._add(sender, "session_started", at, {})

    def user(
        self,
        sender: str,
        at: datetime,
        text: str,
        intent: str,
        confidence: float,
        entities: list[dict[str, Any]] = (),
    ) -> None:  # type: ignore[assignment]
        parse = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": list(entities),
            "text": text,
        }
        self._add(
            sender,
            "user",
            at,
            {"text": text, "parse_data": parse, "metadata": {"channel": "web"}},
            intent=intent,
        )

    def slot(self, sender: str, at: datetime, name: str, value: Any) -> None:
        self._add(sender, "slot", at, {"name": name, "value": value}, action=name)

    def action(
        self,
        sender: str,
        at: datetime,
        name: str,
        policy: str = "RulePolicy",
        confidence: float = 1.0,
    ) -> None:
        self._add(
            sender,
            "action",
            at,
            {"name": name, "policy": policy, "confidence": confidence},
            action=name,
        )

    def bot(
        self,
        sender: str,
        at: datetime,
        text: str,
        utter: str = "utter_x",
        buttons: list[dict[str, str]] = (),
    ) -> None:  # type: ignore[assignment]
        self._add(
            sender,
            "bot",
            at,
            {
                "text": text,
                "metadata": {"utter_action": utter},
                "data": {"buttons": list(buttons) or None},
            },
        )
