"""Everything the transcript page shows beside the turns: session, customer, history, handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console.handoff.desk import LiveMessage
from console.models import HandoffMessage
from console.staff.tracker_reader import TrackerReader
from console.staff.transcript import Turn, turns_of, window
from store.db import UnitOfWork
from store.models import ChatSession, Handoff
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


class ConversationReader(UnitOfWork):
    """Loads a chat session, its transcript from the tracker and the customer's other sessions."""

    def __init__(self, session_factory: object, tracker: TrackerReader) -> None:
        super().__init__(session_factory)  # type: ignore[arg-type]
        self._tracker = tracker

    def load(self, session_id: int) -> ConversationDetail | None:
        """The conversation of chat session ``session_id``, or None."""
        with self._read() as s:
            row = s.scalar(
                select(ChatSession)
                .where(ChatSession.id == session_id)
                .options(selectinload(ChatSession.outcomes))
            )
            if row is None:
                return None
            session = SessionView.of(row)
            rating = row.rating
            next_start = s.scalar(
                select(ChatSession.started_at)
                .where(ChatSession.sender_id == row.sender_id, ChatSession.id > row.id)
                .order_by(ChatSession.id)
                .limit(1)
            )
            history: list[SessionView] = []
            if row.customer_id is not None:
                history = [
                    SessionView.of(r)
                    for r in s.scalars(
                        select(ChatSession)
                        .where(ChatSession.customer_id == row.customer_id)
                        .order_by(ChatSession.started_at.desc())
                        .limit(HISTORY_LIMIT)
                        .options(selectinload(ChatSession.outcomes))
                    )
                ]
            handoffs = s.execute(
                select(Handoff.id, Handoff.status, Handoff.agent).where(
                    Handoff.session_id == session_id
                )
            ).all()
            live = [
                LiveMessage(m.id, m.author, m.agent_email, m.text, m.at)
                for m in s.scalars(
                    select(HandoffMessage)
                    .where(HandoffMessage.handoff_id.in_([h.id for h in handoffs]))
                    .order_by(HandoffMessage.id)
                )
            ]
        start, end = window(session.started_at, next_start)
        events = self._tracker.events_of(session.sender_id, start, end)
        return ConversationDetail(
            session=session,
            turns=turns_of(events, live),
            history=history,
            handoffs=[(h.id, h.status, h.agent) for h in handoffs],
            rating=rating,
        )


def orders_of(repository: object, customer_id: int | None) -> list[OrderView]:
    """The customer's recent orders (none for a guest)."""
    if customer_id is None:
        return []
    return repository.recent_orders(customer_id, limit=5)  # type: ignore[attr-defined]
