"""The live handoff desk: agents take waiting conversations, talk, and hand them back.

The queue itself (the store's ``handoffs`` rows, created by the bot's handoff action) is
read and changed through ``store.handoff_queue``; this desk adds the messages exchanged
while an agent holds a chat, kept in the console's ``handoff_messages`` table because
Rasa never sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from console.models import HandoffMessage
from store.handoff_queue import HandoffError, HandoffItem, HandoffQueue

__all__ = ["MAX_AGENT_MESSAGE_CHARS", "HandoffDesk", "HandoffError", "HandoffItem", "LiveMessage"]

MAX_AGENT_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class LiveMessage:
    """A message sent while an agent held the conversation."""

    id: int
    author: str
    agent_email: str | None
    text: str
    at: datetime


class HandoffDesk(HandoffQueue):
    """Queue, take, talk, hand back."""

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
            return live_message(row)

    def messages(self, handoff_id: int, after_id: int = 0) -> list[LiveMessage]:
        """The live messages of a handoff (those after ``after_id``), oldest first."""
        with self._read() as s:
            rows = s.scalars(
                select(HandoffMessage)
                .where(HandoffMessage.handoff_id == handoff_id, HandoffMessage.id > after_id)
                .order_by(HandoffMessage.id)
            )
            return [live_message(r) for r in rows]


def live_message(row: HandoffMessage) -> LiveMessage:
    """Snapshot a ``handoff_messages`` row."""
    return LiveMessage(
        id=row.id, author=row.author, agent_email=row.agent_email, text=row.text, at=row.at
    )
