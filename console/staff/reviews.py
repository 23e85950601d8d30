"""Review of conversations by agents: a state, tags and private notes, all audited."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console.models import REVIEW_STATES, ConversationNote, ConversationReview, ConversationTag
from console.staff.accounts import write_audit
from store.db import UnitOfWork
from store.session_queries import chat_session_exists

MAX_TAGS = 12
MAX_NOTE_CHARS = 4000
_TAG = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")


class ReviewError(ValueError):
    """A review change that cannot be made; says why."""


@dataclass(frozen=True)
class Note:
    """A private note on a conversation."""

    author_email: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Review:
    """Where a conversation's review stands."""

    state: str
    tags: tuple[str, ...]
    notes: tuple[Note, ...]


def parse_tags(raw: str) -> list[str]:
    """Comma-separated tags, lower-cased and de-duplicated; raises ReviewError on a bad one."""
    tags: list[str] = []
    for part in raw.split(","):
        tag = " ".join(part.strip().lower().split())
        if not tag or tag in tags:
            continue
        if not _TAG.match(tag):
            raise ReviewError(
                f"tag {tag[:40]!r} may only use letters, digits, spaces, '-' and '_' "
                "(at most 40 characters)"
            )
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ReviewError(f"a conversation can have at most {MAX_TAGS} tags")
    return tags


class ReviewDesk(UnitOfWork):
    """Reads and changes reviews of chat sessions."""

    def review_of(self, session_id: int) -> Review:
        """The review of a session (state ``new`` when nobody touched it)."""
        with self._read() as s:
            row = s.get(ConversationReview, session_id)
            tags = s.scalars(
                select(ConversationTag.tag)
                .where(ConversationTag.session_id == session_id)
                .order_by(ConversationTag.tag)
            )
            notes = s.scalars(
                select(ConversationNote)
                .where(ConversationNote.session_id == session_id)
                .order_by(ConversationNote.id)
            )
            return Review(
                state=row.state if row else "new",
                tags=tuple(tags),
                notes=tuple(Note(n.author_email, n.text, n.at) for n in notes),
            )

    def update(self, session_id: int, state: str, tags: Iterable[str], actor: str) -> Review:
        """Set the state and replace the tags; audited."""
        if state not in REVIEW_STATES:
            raise ReviewError(f"review state must be one of {', '.join(REVIEW_STATES)}")
        chosen = sorted(set(tags))
        with self._write() as s:
            self._require_session(s, session_id)
            now = self._clock()
            row = s.get(ConversationReview, session_id)
            if row is None:
                row = ConversationReview(session_id=session_id)
                s.add(row)
            before = row.state
            row.state, row.updated_at, row.updated_by = state, now, actor
            s.execute(delete(ConversationTag).where(ConversationTag.session_id == session_id))
            s.add_all(ConversationTag(session_id=session_id, tag=t) for t in chosen)
            write_audit(
                s,
                now,
                actor,
                "review_updated",
                f"conversation {session_id}",
                {"state": state, "previous_state": before or "new", "tags": chosen},
            )
        return self.review_of(session_id)

    def add_note(self, session_id: int, text: str, actor: str) -> Review:
        """Add a private note; audited (the audit keeps its length, not its words)."""
        text = text.strip()
        if not text:
            raise ReviewError("write something before adding a note")
        if len(text) > MAX_NOTE_CHARS:
            raise ReviewError(f"a note can have at most {MAX_NOTE_CHARS} characters")
        with self._write() as s:
            self._require_session(s, session_id)
            now = self._clock()
            s.add(ConversationNote(session_id=session_id, author_email=actor, text=text, at=now))
            write_audit(
                s, now, actor, "note_added", f"conversation {session_id}", {"chars": len(text)}
            )
        return self.review_of(session_id)

    @staticmethod
    def _require_session(s: Session, session_id: int) -> None:
        if not chat_session_exists(s, session_id):
            raise ReviewError(f"there is no conversation {session_id}")
