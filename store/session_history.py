"""Session history: each chat session, its activity and outcomes, and handoff requests.

``ShopRepository`` inherits these methods; they are kept apart because they are the record
of conversations rather than of the shop (docs/architecture.md, "Identity and sessions").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from store.db import UnitOfWork
from store.models import ChatSession, Handoff, Identity, Outcome, SessionOutcome
from store.rules import as_customer_id
from store.views import HandoffView, SessionView

# Rasa's session expiry (bot/domain/session.yml): a session start retried later than this
# is not the retry of a lost turn.
LOST_START_WINDOW = timedelta(minutes=60)


class SessionHistory(UnitOfWork):
    """Chat sessions, their outcomes and handoffs of one shop database."""

    @staticmethod
    def _open_session(s: Session, sender_id: str) -> ChatSession | None:
        return s.scalar(
            select(ChatSession)
            .where(ChatSession.sender_id == sender_id, ChatSession.ended_at.is_(None))
            .order_by(ChatSession.started_at.desc(), ChatSession.id.desc())
            .limit(1)
            .options(selectinload(ChatSession.outcomes))
        )

    def _new_session(
        self, s: Session, sender_id: str, customer_id: int | None, channel: str
    ) -> ChatSession:
        now = self._clock()
        row = ChatSession(
            sender_id=sender_id,
            customer_id=customer_id,
            channel=channel,
            started_at=now,
            last_activity_at=now,
            turns=0,
            intents=[],
            outcomes=[],
        )
        s.add(row)
        s.flush()
        return row

    def _session_for(self, s: Session, sender_id: str) -> ChatSession:
        """The sender's open session, started on the spot when there is none."""
        row = self._open_session(s, sender_id)
        if row is not None:
            return row
        identity = s.scalar(select(Identity).where(Identity.channel_user_id == sender_id).limit(1))
        return self._new_session(
            s,
            sender_id,
            identity.customer_id if identity else None,
            identity.channel if identity else "web",
        )

    def start_session(
        self,
        sender_id: str,
        customer_id: int | None,
        channel: str,
        *,
        known_until: datetime | None = None,
    ) -> SessionView:
        """Start a sender's session, ending the one still open.

        ``known_until`` is the time of the latest event the conversation's tracker holds
        (``datetime.min`` when it holds none yet). A recent open session started after it
        was opened by a session start whose tracker was never saved — its Rasa server died
        in that turn, or the client went away and the turn was cancelled, and a server now
        starts the same session again. That session is resumed (for the current customer
        and channel) instead of being ended and opened a second time, so a retried turn
        leaves one session row, with whatever the lost turn recorded, not two. One older
        than a session's lifetime (``LOST_START_WINDOW``) is not a retry: an empty tracker
        after it is one retention deleted, and the session ends as usual.
        """
        customer = as_customer_id(customer_id)
        with self._write() as s:
            open_row = self._open_session(s, sender_id)
            if (
                open_row is not None
                and known_until is not None
                and open_row.started_at > known_until
                and open_row.started_at > self._clock() - LOST_START_WINDOW
            ):
                open_row.customer_id = customer
                open_row.channel = channel
                return SessionView.of(open_row)
            s.execute(
                update(ChatSession)
                .where(ChatSession.sender_id == sender_id, ChatSession.ended_at.is_(None))
                .values(ended_at=self._clock())
            )
            return SessionView.of(self._new_session(s, sender_id, customer, channel))

    def current_session(self, sender_id: str) -> SessionView | None:
        """The sender's open session."""
        with self._read() as s:
            row = self._open_session(s, sender_id)
            return SessionView.of(row) if row else None

    def previous_session(self, customer_id: int, before_session_id: int) -> SessionView | None:
        """The customer's latest session started before ``before_session_id``."""
        with self._read() as s:
            row = s.scalar(
                select(ChatSession)
                .where(ChatSession.customer_id == customer_id, ChatSession.id < before_session_id)
                .order_by(ChatSession.id.desc())
                .limit(1)
                .options(selectinload(ChatSession.outcomes))
            )
            return SessionView.of(row) if row else None

    def record_activity(self, sender_id: str, turns: int, intents: list[str]) -> None:
        """Store the session's totals so far: user turns and the intents, in order."""
        with self._write() as s:
            row = self._session_for(s, sender_id)
            row.turns = turns
            row.intents = list(intents)
            row.last_activity_at = self._clock()

    def record_outcome(
        self,
        sender_id: str,
        kind: Outcome | str,
        ref: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add a business outcome to the sender's session (starting one if needed).

        ``kind`` must be an :class:`Outcome`; any other string raises ``ValueError`` before
        anything is written.
        """
        kind = Outcome(kind)
        with self._write() as s:
            row = self._session_for(s, sender_id)
            now = self._clock()
            s.add(
                SessionOutcome(
                    session_id=row.id, kind=kind, ref=ref, detail=dict(detail or {}), at=now
                )
            )
            row.last_activity_at = now

    def set_open_matter(self, sender_id: str, matter: dict[str, Any] | None) -> None:
        """Remember (or, with None, forget) what the customer's conversation is about."""
        with self._write() as s:
            row = self._session_for(s, sender_id)
            row.open_matter = dict(matter) if matter else None
            row.last_activity_at = self._clock()

    def end_session(self, sender_id: str) -> None:
        """End the sender's open session, if any."""
        with self._write() as s:
            s.execute(
                update(ChatSession)
                .where(ChatSession.sender_id == sender_id, ChatSession.ended_at.is_(None))
                .values(ended_at=self._clock())
            )

    def request_handoff(
        self, sender_id: str, customer_id: int | None, reason: str | None
    ) -> HandoffView:
        """Queue the sender for a human; while one request waits, return that one."""
        with self._write() as s:
            waiting = s.scalar(
                select(Handoff)
                .where(Handoff.sender_id == sender_id, Handoff.status == "waiting")
                .order_by(Handoff.id)
                .limit(1)
            )
            if waiting is not None:
                return HandoffView.of(waiting)
            session = self._session_for(s, sender_id)
            row = Handoff(
                session_id=session.id,
                sender_id=sender_id,
                customer_id=as_customer_id(customer_id) or session.customer_id,
                reason=reason,
                status="waiting",
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
            return HandoffView.of(row)
