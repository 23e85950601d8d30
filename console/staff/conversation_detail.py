"""Everything the transcript page shows beside the turns: session, customer, history, handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from console.handoff.desk import HandoffDesk
from console.staff.tracker_reader import TrackerReader
from console.staff.transcript import Turn, turns_of, window
from store.session_queries import SessionQueries
from store.views import OrderView, SessionView

HISTORY_LIMIT = 10


@dataclass(frozen=True)
class ConversationDetail:
    """One conversation with its context."""

    session: SessionView
    turns: list[Turn]
    history: list[SessionView]
    handoffs: list[tuple[int, str, str | None]]
    rating: int | None

    @property
    def started_at(self) -> datetime:
        """When the session started."""
        return self.session.started_at


class ConversationReader:
    """Loads a chat session, its transcript from the tracker and the customer's other sessions."""

    def __init__(self, session_factory: sessionmaker[Session], tracker: TrackerReader) -> None:
        self._sessions = SessionQueries(session_factory)
        self._desk = HandoffDesk(session_factory)
        self._tracker = tracker

    def load(self, session_id: int) -> ConversationDetail | None:
        """The conversation of chat session ``session_id``, or None."""
        context = self._sessions.context(session_id, HISTORY_LIMIT)
        if context is None:
            return None
        live = [m for h in context.handoffs for m in self._desk.messages(h.id)]
        live.sort(key=lambda m: m.id)
        session = context.session
        start, end = window(session.started_at, context.next_started_at)
        events = self._tracker.events_of(session.sender_id, start, end)
        return ConversationDetail(
            session=session,
            turns=turns_of(events, live),
            history=list(context.history),
            handoffs=[(h.id, h.status, h.agent) for h in context.handoffs],
            rating=context.rating,
        )


def orders_of(repository: object, customer_id: int | None) -> list[OrderView]:
    """The customer's recent orders (none for a guest)."""
    if customer_id is None:
        return []
    return repository.recent_orders(customer_id, limit=5)  # type: ignore[attr-defined]
