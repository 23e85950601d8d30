"""A conversation's transcript: tracker events turned into readable turns, plus live messages.

Rasa's tracker keeps every session of a sender in one stream; the session's window runs
from its start in ``chat_sessions`` to the start of that sender's next session.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from console.handoff.desk import LiveMessage
from console.staff.redaction import redact
from console.staff.tracker_reader import FALLBACK_ACTIONS, FALLBACK_INTENTS, TrackerEvent

LOW_CONFIDENCE_BELOW = 0.5
# Rasa's session_started event comes a moment before action_session_start records the session.
WINDOW_SLACK = timedelta(seconds=60)
SILENT_ACTIONS = ("action_listen",)


@dataclass(frozen=True)
class Entity:
    """An entity the NLU found in a customer message."""

    name: str
    value: str
    confidence: float | None


@dataclass(frozen=True)
class Turn:
    """One line of the transcript.

    ``kind`` is user, bot, action, slot, error, session, or live (a handoff message,
    with ``author`` customer or agent).
    """

    kind: str
    at: datetime
    text: str | None = None
    intent: str | None = None
    confidence: float | None = None
    entities: tuple[Entity, ...] = ()
    name: str | None = None
    value: str | None = None
    policy: str | None = None
    author: str | None = None
    buttons: tuple[str, ...] = ()

    @property
    def low_confidence(self) -> bool:
        """Whether the NLU was unsure of this customer message."""
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE_BELOW

    @property
    def fallback(self) -> bool:
        """Whether this turn is the bot giving up on understanding."""
        return (self.kind == "action" and self.name in FALLBACK_ACTIONS) or (
            self.kind == "user" and self.intent in FALLBACK_INTENTS
        )


def window(started_at: datetime, next_started_at: datetime | None) -> tuple[float, float | None]:
    """The tracker time range (epoch seconds) of a session."""
    start = _epoch(started_at - WINDOW_SLACK)
    end = _epoch(next_started_at - WINDOW_SLACK) if next_started_at else None
    return start, end


def turns_of(events: Sequence[TrackerEvent], live: Sequence[LiveMessage] = ()) -> list[Turn]:
    """Readable turns of tracker events and live handoff messages, in time order."""
    turns = [t for t in (_turn(e) for e in events) if t is not None]
    turns += [
        Turn(kind="live", at=m.at, text=m.text, author=m.author, name=m.agent_email) for m in live
    ]
    return sorted(turns, key=lambda t: t.at)


def redacted(turns: Sequence[Turn]) -> list[Turn]:
    """The turns as staff without the admin role read them: no e-mail, phone or card number.

    Message text, slot and entity values and button titles all carry what customers typed.
    """
    return [
        replace(
            turn,
            text=_redact(turn.text),
            value=_redact(turn.value),
            entities=tuple(replace(e, value=redact(e.value)) for e in turn.entities),
            buttons=tuple(redact(b) for b in turn.buttons),
        )
        for turn in turns
    ]


def _redact(text: str | None) -> str | None:
    return redact(text) if text else text


def _turn(event: TrackerEvent) -> Turn | None:
    data = event.data
    at = datetime.fromtimestamp(event.timestamp, UTC).replace(tzinfo=None)
    kind = event.type_name
    if kind == "user":
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        return Turn(
            kind="user",
            at=at,
            text=_text(data.get("text")),
            intent=intent.get("name") or event.intent_name,
            confidence=_float(intent.get("confidence")),
            entities=tuple(_entities(parse.get("entities"))),
        )
    if kind == "bot":
        buttons = (data.get("data") or {}).get("buttons") or []
        return Turn(
            kind="bot",
            at=at,
            text=_text(data.get("text")),
            name=(data.get("metadata") or {}).get("utter_action"),
            buttons=tuple(str(b.get("title")) for b in buttons if isinstance(b, dict)),
        )
    if kind == "action":
        name = data.get("name") or event.action_name
        if name in SILENT_ACTIONS:
            return None
        return Turn(
            kind="action",
            at=at,
            name=name,
            policy=data.get("policy"),
            confidence=_float(data.get("confidence")),
        )
    if kind == "slot":
        return Turn(kind="slot", at=at, name=data.get("name"), value=_show(data.get("value")))
    if kind == "action_execution_rejected":
        return Turn(kind="error", at=at, name=data.get("name"), text="the action was rejected")
    if kind == "session_started":
        return Turn(kind="session", at=at, text="Session started")
    if kind == "active_loop":
        name = data.get("name")
        return Turn(kind="action", at=at, name=f"form {name} started" if name else "form ended")
    return None


def _entities(raw: Any) -> list[Entity]:
    if not isinstance(raw, list):
        return []
    return [
        Entity(
            name=str(e.get("entity")),
            value=_show(e.get("value")) or "",
            confidence=_float(e.get("confidence_entity")),
        )
        for e in raw
        if isinstance(e, dict)
    ]


def _show(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _epoch(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()
