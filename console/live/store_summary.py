"""The live summary read from the shop database: the path without a broker.

The same two facts the broker consumer counts from Rasa's events (a session started, a
customer asked for a person) are rows of the store (store/live_activity.py). This is what
the staff pages poll when ``CONCIERGE_BROKER_URL`` is unset, and what a console answers for
a moment its consumer did not see whole.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from console.live.feed import LiveSummary, Source, summarise
from store.live_activity import LiveActivityQuery

# Rows read per question: a banner needs counts of a few minutes, not a history.
ROW_LIMIT = 5000


class StoreLiveSummary:
    """Sessions started and handoffs asked for since a moment, from the store's tables."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._activity = LiveActivityQuery(session_factory)

    def summary(self, since: float) -> LiveSummary:
        """What the store's rows say happened from ``since`` (epoch seconds) on."""
        at = datetime.fromtimestamp(since, UTC).replace(tzinfo=None)  # the store keeps naive UTC
        activity = self._activity.since(at, ROW_LIMIT)
        return summarise(
            Source.STORE, since, activity.started, activity.asked_for_person, complete=True
        )
