"""Who started a conversation and who asked for a person since a moment: the staff pages'
live banner when no event broker is configured (console/live/store_summary.py).

``action_session_start`` writes a ``chat_sessions`` row for every session and the bot's
handoff action a ``handoffs`` row, so the two facts the broker consumer counts from Rasa's
events are here, a query away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from store.db import UnitOfWork
from store.models import ChatSession, Handoff


@dataclass(frozen=True)
class LiveActivity:
    """Sender ids, oldest first: sessions started, handoffs asked for."""

    started: tuple[str, ...]
    asked_for_person: tuple[str, ...]


class LiveActivityQuery(UnitOfWork):
    """Sessions started and handoffs asked for since a moment, from the store's tables."""

    def since(self, at: datetime, limit: int) -> LiveActivity:
        """What happened from ``at`` (naive UTC, as the store keeps it) on, ``limit`` rows each."""
        with self._read() as s:
            started = s.scalars(
                select(ChatSession.sender_id)
                .where(ChatSession.started_at >= at)
                .order_by(ChatSession.started_at, ChatSession.id)
                .limit(limit)
            ).all()
            asked = s.scalars(
                select(Handoff.sender_id)
                .where(Handoff.created_at >= at)
                .order_by(Handoff.created_at, Handoff.id)
                .limit(limit)
            ).all()
        return LiveActivity(tuple(started), tuple(asked))
