"""Read-side queries over chat sessions for the console's staff pages.

The transcript page needs a session with its neighbours (the customer's other sessions,
the start of the sender's next session, which ends this one's transcript window) and its
handoffs; the NLU inbox needs those windows for a set of sessions. They return frozen
views, so the console never writes SQL against the store's tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from store.db import UnitOfWork
from store.models import ChatSession, Handoff
from store.views import SessionView

HISTORY_LIMIT = 10


@dataclass(frozen=True)
class HandoffSummary:
    """A handoff of a session: its id, status and the agent who took it."""

    id: int
    status: str
    agent: str | None


@dataclass(frozen=True)
class SessionContext:
    """One chat session with what the transcript page shows beside it."""

    session: SessionView
    rating: int | None
    # Start of the sender's next session (None for the latest): the transcript ends there.
    next_started_at: datetime | None
    # The customer's sessions, newest first (empty for a guest); includes this one.
    history: tuple[SessionView, ...]
    handoffs: tuple[HandoffSummary, ...]


@dataclass(frozen=True)
class SessionWindow:
    """Where a session's events lie: from its start to the sender's next session's start."""

    session_id: int
    sender_id: str
    started_at: datetime
    next_started_at: datetime | None


class SessionQueries(UnitOfWork):
    """Chat sessions as the staff console reads them."""

    def context(self, session_id: int, history_limit: int = HISTORY_LIMIT) -> SessionContext | None:
        """The session ``session_id`` with its neighbours and handoffs, or None."""
        with self._read() as s:
            row = s.scalar(
                select(ChatSession)
                .where(ChatSession.id == session_id)
                .options(selectinload(ChatSession.outcomes))
            )
            if row is None:
                return None
            history: tuple[SessionView, ...] = ()
            if row.customer_id is not None:
                history = tuple(
                    SessionView.of(r)
                    for r in s.scalars(
                        select(ChatSession)
                        .where(ChatSession.customer_id == row.customer_id)
                        .order_by(ChatSession.started_at.desc())
                        .limit(history_limit)
                        .options(selectinload(ChatSession.outcomes))
                    )
                )
            handoffs = tuple(
                HandoffSummary(h.id, h.status, h.agent)
                for h in s.execute(
                    select(Handoff.id, Handoff.status, Handoff.agent).where(
                        Handoff.session_id == session_id
                    )
                )
            )
            return SessionContext(
                session=SessionView.of(row),
                rating=row.rating,
                next_started_at=s.scalar(
                    select(ChatSession.started_at)
                    .where(ChatSession.sender_id == row.sender_id, ChatSession.id > row.id)
                    .order_by(ChatSession.id)
                    .limit(1)
                ),
                history=history,
                handoffs=handoffs,
            )

    def windows(self, session_ids: Iterable[int], limit: int) -> list[SessionWindow]:
        """The windows of the newest ``limit`` sessions among ``session_ids``, newest first."""
        ids = list(session_ids)
        if not ids:
            return []
        with self._read() as s:
            rows = s.execute(
                select(ChatSession.id, ChatSession.sender_id, ChatSession.started_at)
                .where(ChatSession.id.in_(ids))
                .order_by(ChatSession.started_at.desc())
                .limit(limit)
            ).all()
            return [
                SessionWindow(
                    session_id, sender_id, started_at, _next_start(s, sender_id, session_id)
                )
                for session_id, sender_id, started_at in rows
            ]


def chat_session_exists(s: Session, session_id: int) -> bool:
    """Whether chat session ``session_id`` exists, inside the caller's own transaction.

    For the console's writes about a session (reviews, notes), which must check and write
    in one unit of work.
    """
    return s.get(ChatSession, session_id) is not None


def _next_start(s: Session, sender_id: str, session_id: int) -> datetime | None:
    # The earliest later session of the sender (by id, as sessions are created in order).
    return s.scalar(
        select(func.min(ChatSession.started_at)).where(
            ChatSession.sender_id == sender_id, ChatSession.id > session_id
        )
    )
