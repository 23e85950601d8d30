"""The live handoff queue: agents take waiting conversations, talk, and hand them back.

Reads and writes ``store.models.Handoff`` rows (created by the bot's handoff action) and
keeps the messages exchanged meanwhile in ``handoff_messages``, since Rasa never sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from console.models import HandoffMessage
from store.db import UnitOfWork
from store.models import Customer, Handoff

MAX_AGENT_MESSAGE_CHARS = 2000


class HandoffError(Exception):
    """An action on a handoff that its current state does not allow; says why."""


@dataclass(frozen=True)
class HandoffItem:
    """One handoff as the queue and the live page show it."""

    id: int
    sender_id: str
    session_id: int | None
    customer_id: int | None
    customer_name: str | None
    customer_email: str | None
    reason: str | None
    status: str
    agent: str | None
    created_at: datetime
    taken_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class LiveMessage:
    """A message sent while an agent held the conversation."""

    id: int
    author: str
    agent_email: str | None
    text: str
    at: datetime


class HandoffDesk(UnitOfWork):
    """Queue, take, talk, hand back."""

    def _items(self, *conditions: object, limit: int = 200) -> list[HandoffItem]:
        with self._read() as s:
            rows = s.execute(
                select(Handoff, Customer.first_name, Customer.last_name, Customer.email)
                .outerjoin(Customer, Customer.id == Handoff.customer_id)
                .where(*conditions)
                .order_by(Handoff.created_at, Handoff.id)
                .limit(limit)
            ).all()
            return [_item(h, first, last, email) for h, first, last, email in rows]

    def queue(self) -> list[HandoffItem]:
        """Waiting and taken handoffs, oldest request first."""
        return self._items(Handoff.status.in_(("waiting", "taken")))

    def get(self, handoff_id: int) -> HandoffItem | None:
        """The handoff with ``handoff_id``."""
        found = self._items(Handoff.id == handoff_id, limit=1)
        return found[0] if found else None

    def held_for(self, sender_id: str) -> HandoffItem | None:
        """The taken handoff of ``sender_id``: while there is one, the bot must not answer."""
        found = self._items(Handoff.sender_id == sender_id, Handoff.status == "taken", limit=1)
        return found[0] if found else None

    def waiting_count(self) -> int:
        """How many customers wait for a person."""
        with self._read() as s:
            return s.scalar(select(func.count()).where(Handoff.status == "waiting")) or 0

    def take(self, handoff_id: int, agent_email: str) -> HandoffItem:
        """Give a waiting handoff to ``agent_email``; refused if someone else was quicker."""
        with self._write() as s:
            taken = s.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == "waiting")
                .values(status="taken", agent=agent_email, taken_at=self._clock())
            ).rowcount
            if not taken:
                row = s.get(Handoff, handoff_id)
                if row is None:
                    raise HandoffError(f"There is no handoff {handoff_id}.")
                if row.status == "taken":
                    raise HandoffError(f"{row.agent} has already taken this conversation.")
                raise HandoffError("This conversation was already handed back to the bot.")
        item = self.get(handoff_id)
        assert item is not None
        return item

    def hand_back(
        self, handoff_id: int, agent_email: str, *, is_admin: bool = False
    ) -> HandoffItem:
        """Close a taken handoff so the bot answers again; only its agent (or an admin) may."""
        with self._write() as s:
            row = s.get(Handoff, handoff_id)
            if row is None:
                raise HandoffError(f"There is no handoff {handoff_id}.")
            if row.status != "taken":
                raise HandoffError("Only a conversation an agent has taken can be handed back.")
            if row.agent != agent_email and not is_admin:
                raise HandoffError(f"This conversation is held by {row.agent}, not by you.")
            row.status = "closed"
            row.closed_at = self._clock()
        item = self.get(handoff_id)
        assert item is not None
        return item

    def add_message(
        self, handoff_id: int, author: str, text: str, agent_email: str | None = None
    ) -> LiveMessage:
        """Keep one message of the live conversation."""
        with self._write() as s:
            row = HandoffMessage(
                handoff_id=handoff_id,
                author=author,
                agent_email=agent_email,
                text=text,
                at=self._clock(),
            )
            s.add(row)
            s.flush()
            return _message(row)

    def messages(self, handoff_id: int, after_id: int = 0) -> list[LiveMessage]:
        """The live messages of a handoff (those after ``after_id``), oldest first."""
        with self._read() as s:
            rows = s.scalars(
                select(HandoffMessage)
                .where(HandoffMessage.handoff_id == handoff_id, HandoffMessage.id > after_id)
                .order_by(HandoffMessage.id)
            )
            return [_message(r) for r in rows]


def _item(h: Handoff, first: str | None, last: str | None, email: str | None) -> HandoffItem:
    name = " ".join(p for p in (first, last) if p) or None
    return HandoffItem(
        id=h.id,
        sender_id=h.sender_id,
        session_id=h.session_id,
        customer_id=h.customer_id,
        customer_name=name,
        customer_email=email,
        reason=h.reason,
        status=h.status,
        agent=h.agent,
        created_at=h.created_at,
        taken_at=h.taken_at,
        closed_at=h.closed_at,
    )


def _message(row: HandoffMessage) -> LiveMessage:
    return LiveMessage(
        id=row.id, author=row.author, agent_email=row.agent_email, text=row.text, at=row.at
    )
