"""The handoff queue as the console's agents work it: list, take, hand back.

The bot's handoff action creates ``handoffs`` rows (``ShopRepository.request_handoff``);
this module is the staff side of the same rows, so the console never queries the store's
tables itself. It returns :class:`HandoffItem` views; a state change the row does not
allow raises :class:`HandoffError` with a ``code`` the caller can branch on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, func, select, update

from store.db import UnitOfWork
from store.models import Customer, Handoff

QUEUE_LIMIT = 200
# HandoffError codes.
UNKNOWN, ALREADY_TAKEN, ALREADY_CLOSED, NOT_TAKEN, NOT_YOURS = (
    "unknown",
    "already_taken",
    "already_closed",
    "not_taken",
    "not_yours",
)


class HandoffError(Exception):
    """An action on a handoff that its current state does not allow; says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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


class HandoffQueue(UnitOfWork):
    """Waiting and taken handoffs, and the two moves an agent makes on them."""

    def _items(
        self, *conditions: ColumnElement[bool], limit: int = QUEUE_LIMIT
    ) -> list[HandoffItem]:
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
            # An UPDATE without RETURNING gives a CursorResult, which the Session's types
            # cannot promise (SQLAlchemy's advice is this cast).
            result = cast(
                CursorResult[Any],
                s.execute(
                    update(Handoff)
                    .where(Handoff.id == handoff_id, Handoff.status == "waiting")
                    .values(status="taken", agent=agent_email, taken_at=self._clock())
                ),
            )
            taken = result.rowcount
            if not taken:
                row = s.get(Handoff, handoff_id)
                if row is None:
                    raise HandoffError(UNKNOWN, f"There is no handoff {handoff_id}.")
                if row.status == "taken":
                    raise HandoffError(
                        ALREADY_TAKEN, f"{row.agent} has already taken this conversation."
                    )
                raise HandoffError(
                    ALREADY_CLOSED, "This conversation was already handed back to the bot."
                )
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
                raise HandoffError(UNKNOWN, f"There is no handoff {handoff_id}.")
            if row.status != "taken":
                raise HandoffError(
                    NOT_TAKEN, "Only a conversation an agent has taken can be handed back."
                )
            if row.agent != agent_email and not is_admin:
                raise HandoffError(
                    NOT_YOURS, f"This conversation is held by {row.agent}, not by you."
                )
            row.status = "closed"
            row.closed_at = self._clock()
        item = self.get(handoff_id)
        assert item is not None
        return item


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
