"""Recording the first open and the first click of an outreach e-mail.

The console verifies the signed token (``promotions.outreach_links.TrackingSigner``) and
calls ``record``. Only the first of each is kept (``opened_at`` / ``clicked_at`` are set
once, with a conditional ``UPDATE``), so a mail client that loads the pixel ten times, or
a customer who clicks twice, counts once. A click also counts as an open when the pixel
never loaded (many clients block images): someone who clicked has read the message.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from promotions.models import OutreachMessage
from promotions.outreach_links import TrackedEvent, TrackingKind
from store.db import writing


def record(sessions: sessionmaker[Session], event: TrackedEvent, now: datetime) -> bool:
    """Record ``event`` if it is the first of its kind; False when no such message exists."""
    with writing(sessions) as s:
        if (
            s.scalar(select(OutreachMessage.id).where(OutreachMessage.id == event.message_id))
            is None
        ):
            return False
        _first(s, event.message_id, OutreachMessage.opened_at, now)
        if event.kind == TrackingKind.CLICK:
            _first(s, event.message_id, OutreachMessage.clicked_at, now)
        return True


def _first(s: Session, message_id: int, column: object, now: datetime) -> None:
    s.execute(
        update(OutreachMessage)
        .where(OutreachMessage.id == message_id, column.is_(None))  # type: ignore[attr-defined]
        .values({column: now})
    )
