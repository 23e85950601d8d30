"""The NLU inbox: customer messages the bot misunderstood or was unsure of, and their corrections.

A message lands in the inbox when its intent was ``nlu_fallback``, a fallback action
answered it, its confidence was under the pipeline's FallbackClassifier threshold, or it
belongs to a conversation a reviewer marked "needs fix". Messages are read from Rasa's
tracker store (read-only); corrections are written to the shop database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.sql import ColumnElement

from console.models import ConversationReview, NluCorrection
from console.staff.accounts import write_audit
from console.staff.tracker_reader import (
    FALLBACK_ACTIONS,
    FALLBACK_INTENTS,
    TrackerReader,
    event_data,
    events,
)
from console.staff.transcript import window
from store.db import UnitOfWork
from store.session_queries import SessionQueries

PER_PAGE = 25
# Windows of flagged conversations are OR-ed into one query; the newest ones matter most.
MAX_FLAGGED_SESSIONS = 200
MAX_TEXT_CHARS = 2000


class CorrectionError(ValueError):
    """A correction that cannot be stored; says why."""


@dataclass(frozen=True)
class InboxMessage:
    """One customer message in the inbox, with why it is there and any correction."""

    event_id: int
    sender_id: str
    at: datetime
    text: str
    intent: str | None
    confidence: float | None
    best_guess: str | None
    reasons: tuple[str, ...]
    corrected_intent: str | None


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox, newest first."""

    messages: list[InboxMessage]
    page: int
    has_next: bool


@dataclass(frozen=True)
class Correction:
    """A stored correction, as the exports need it."""

    event_id: int
    text: str
    intent: str
    predicted_intent: str | None
    corrected_by: str
    corrected_at: datetime


class NluInbox(UnitOfWork):
    """Finds doubtful messages in the tracker store and keeps the agents' corrections."""

    def __init__(
        self, session_factory: object, tracker: TrackerReader, unsure_below: float
    ) -> None:
        """``tracker`` owns the read-only connection to Rasa's store (and closes it)."""
        super().__init__(session_factory)  # type: ignore[arg-type]
        self._tracker = tracker
        self._session_queries = SessionQueries(session_factory)  # type: ignore[arg-type]
        self.unsure_below = unsure_below

    def page(self, page: int = 0, *, open_only: bool = True, per_page: int = PER_PAGE) -> InboxPage:
        """Doubtful messages, newest first; ``open_only`` leaves out corrected ones."""
        engine = self._tracker.engine()
        if engine is None:
            return InboxPage([], page, False)
        fallback_intent = events.c.intent_name.in_(FALLBACK_INTENTS)
        unsure = _confidence() < self.unsure_below
        answered_by_fallback = events.c.id.in_(_users_answered_by_fallback())
        flagged = self._flagged_condition()
        query = select(
            events.c.id,
            events.c.sender_id,
            events.c.timestamp,
            events.c.intent_name,
            events.c.data,
            fallback_intent.label("fallback_intent"),
            unsure.label("unsure"),
            answered_by_fallback.label("answered_by_fallback"),
            flagged.label("flagged"),
        ).where(
            events.c.type_name == "user",
            # A button payload such as "/affirm" names its intent; nothing to correct.
            _text().not_like("/%"),
            or_(fallback_intent, unsure, answered_by_fallback, flagged),
        )
        if open_only:
            corrected = self._corrected_ids()
            if corrected:
                query = query.where(events.c.id.not_in(corrected))
        # Rasa appends events as they happen, so id order is time order; walking the
        # primary key backwards lets SQLite stop after one page instead of sorting them all.
        query = query.order_by(events.c.id.desc()).limit(per_page + 1).offset(page * per_page)
        with engine.connect() as conn:
            rows = conn.execute(query).all()[: per_page + 1]
        corrections = self._corrections_of(r.id for r in rows)
        messages = [_message(r, corrections.get(r.id)) for r in rows[:per_page]]
        return InboxPage(messages, page, len(rows) > per_page)

    def correct(self, event_id: int, intent: str, actor: str, known: Iterable[str]) -> Correction:
        """Store (or replace) the right intent of the customer message ``event_id``; audited."""
        if intent not in set(known):
            shown = intent[:60] or "(nothing)"
            raise CorrectionError(
                f"{shown!r} is not one of the bot's intents; pick one from the list"
            )
        found = self._user_message(event_id)
        if found is None:
            raise CorrectionError(f"there is no customer message {event_id} in the tracker store")
        with self._write() as s:
            now = self._clock()
            row = s.scalar(select(NluCorrection).where(NluCorrection.tracker_event_id == event_id))
            before = row.intent if row is not None else None
            if row is None:
                row = NluCorrection(tracker_event_id=event_id)
                s.add(row)
            row.sender_id = found.sender_id
            row.text = found.text
            row.predicted_intent = found.intent
            row.confidence = found.confidence
            row.message_at = found.at
            row.intent = intent
            row.corrected_by = actor
            row.corrected_at = now
            write_audit(
                s,
                now,
                actor,
                "nlu_corrected",
                f"message {event_id}",
                {"intent": intent, "previous": before, "predicted": found.intent},
            )
            return _correction(row)

    def corrections(self) -> list[Correction]:
        """Every correction, oldest first (so exports are stable as new ones arrive)."""
        with self._read() as s:
            rows = s.scalars(select(NluCorrection).order_by(NluCorrection.id))
            return [_correction(r) for r in rows]

    def _user_message(self, event_id: int) -> InboxMessage | None:
        engine = self._tracker.engine()
        if engine is None:
            return None
        query = select(
            events.c.id,
            events.c.sender_id,
            events.c.timestamp,
            events.c.intent_name,
            events.c.data,
        ).where(events.c.id == event_id, events.c.type_name == "user")
        with engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        message = _message(row, None)
        return message if message.text and not message.text.startswith("/") else None

    def _flagged_condition(self) -> ColumnElement[bool]:
        """Tracker time windows of the conversations a reviewer marked "needs fix"."""
        with self._read() as s:
            flagged_ids = list(
                s.scalars(
                    select(ConversationReview.session_id).where(
                        ConversationReview.state == "needs_fix"
                    )
                )
            )
        windows = [
            (w.sender_id, *window(w.started_at, w.next_started_at))
            for w in self._session_queries.windows(flagged_ids, MAX_FLAGGED_SESSIONS)
        ]
        if not windows:
            return false()
        conditions = []
        for sender_id, start, end in windows:
            condition = and_(events.c.sender_id == sender_id, events.c.timestamp >= start)
            if end is not None:
                condition = and_(condition, events.c.timestamp < end)
            conditions.append(condition)
        return or_(*conditions)

    def _corrected_ids(self) -> list[int]:
        with self._read() as s:
            return list(s.scalars(select(NluCorrection.tracker_event_id)))

    def _corrections_of(self, event_ids: Iterable[int]) -> dict[int, str]:
        ids = list(event_ids)
        if not ids:
            return {}
        with self._read() as s:
            rows = s.execute(
                select(NluCorrection.tracker_event_id, NluCorrection.intent).where(
                    NluCorrection.tracker_event_id.in_(ids)
                )
            ).all()
        return {event_id: intent for event_id, intent in rows}


def _text() -> Any:
    return event_data()["text"].as_string()


def _confidence() -> Any:
    return event_data()["parse_data"]["intent"]["confidence"].as_float()


def _users_answered_by_fallback() -> Any:
    """Ids of the user events whose next bot action was a fallback action."""
    user = events.alias("previous_user")
    action = events.alias("fallback_action")
    last_user_before = (
        select(func.max(user.c.id))
        .where(
            user.c.sender_id == action.c.sender_id,
            user.c.type_name == "user",
            user.c.id < action.c.id,
        )
        .scalar_subquery()
    )
    return select(last_user_before).where(
        action.c.type_name == "action", action.c.action_name.in_(FALLBACK_ACTIONS)
    )


def _message(row: Any, corrected: str | None) -> InboxMessage:
    data = _json(row.data)
    raw_parse = data.get("parse_data")
    parse = raw_parse if isinstance(raw_parse, dict) else {}
    raw_intent = parse.get("intent")
    intent = raw_intent if isinstance(raw_intent, dict) else {}
    confidence = intent.get("confidence")
    reasons = tuple(
        label
        for label, hit in (
            ("fallback", getattr(row, "fallback_intent", False)),
            ("fallback", getattr(row, "answered_by_fallback", False)),
            ("unsure", getattr(row, "unsure", False)),
            ("needs fix", getattr(row, "flagged", False)),
        )
        if hit
    )
    text = data.get("text")
    return InboxMessage(
        event_id=row.id,
        sender_id=row.sender_id,
        at=datetime.fromtimestamp(row.timestamp or 0.0, UTC).replace(tzinfo=None),
        text=" ".join(text.split())[:MAX_TEXT_CHARS] if isinstance(text, str) else "",
        intent=intent.get("name") or row.intent_name,
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        best_guess=_best_guess(parse.get("intent_ranking")),
        reasons=tuple(dict.fromkeys(reasons)),
        corrected_intent=corrected,
    )


def _best_guess(ranking: Any) -> str | None:
    """The most likely real intent (the ranking still holds it when nlu_fallback won)."""
    if not isinstance(ranking, list):
        return None
    for entry in ranking:
        if isinstance(entry, dict) and entry.get("name") not in (None, *FALLBACK_INTENTS):
            return str(entry["name"])
    return None


def _correction(row: NluCorrection) -> Correction:
    return Correction(
        event_id=row.tracker_event_id,
        text=row.text,
        intent=row.intent,
        predicted_intent=row.predicted_intent,
        corrected_by=row.corrected_by,
        corrected_at=row.corrected_at,
    )


def _json(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
