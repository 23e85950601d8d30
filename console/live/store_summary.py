"""The live summary read from the shop database: the path without a broker.

``action_session_start`` writes a ``chat_sessions`` row for every session and the bot's
handoff action a ``handoffs`` row, so the same two facts the broker consumer counts from
Rasa's events are here, a query away. This is what the staff pages poll when
``CONCIERGE_BROKER_URL`` is unset, and what a console answers for a moment its consumer
did not see whole.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from console.live.feed import LiveSummary, Source, summarise
from store.db import UnitOfWork
from store.models import ChatSession, Handoff

# Rows read per question: a banner needs counts of a few minutes, not a history.
ROW_LIMIT = 5000


class StoreLiveSummary(UnitOfWork):
    """Sessions started and handoffs asked for since a moment, from the store's tables."""

    def summary(self, since: float) -> LiveSummary:
        """What the store's rows say happened from ``since`` (epoch seconds) on."""
        at = datetime.fromtimestamp(since, UTC).replace(tzinfo=None)  # the store keeps naive UTC
        with self._read() as s:
            started = s.scalars(
                select(ChatSession.sender_id)
                .where(ChatSession.started_at >= at)
                .order_by(ChatSession.started_at, ChatSession.id)
                .limit(ROW_LIMIT)
            ).all()
            asked = s.scalars(
                select(Handoff.sender_id)
                .where(Handoff.created_at >= at)
                .order_by(Handoff.created_at, Handoff.id)
                .limit(ROW_LIMIT)
            ).all()
        return summarise(Source.STORE, since, started, asked, complete=True)
