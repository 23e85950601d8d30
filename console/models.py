"""The console's own tables: staff accounts, sessions, audit log, reviews, handoffs, NLU fixes.

Declared on ``store.models.Base`` so one Alembic history (revision ``0003_console``)
covers them together with the shop's tables (``0004_console_nlu`` adds the NLU corrections,
``0006_staff_sessions`` the server-side staff sessions).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base

ROLES = ("agent", "marketer", "admin")
REVIEW_STATES = ("new", "reviewed", "needs_fix")


class StaffAccount(Base):
    """A person who signs in to the console; ``roles`` is a comma-separated subset of ROLES."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime)


class StaffSession(Base):
    """A signed-in staff session; deleting the row ends it, whatever copies of the cookie exist.

    Keyed by a SHA-256 of the cookie's nonce, so the table alone cannot be replayed as cookies.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class AuditEntry(Base):
    """One data-changing action taken in the console (or by its command line)."""

    __tablename__ = "console_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # Kept as text too, so the entry still names its actor if the account is removed.
    actor_email: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConversationReview(Base):
    """The review state of one chat session (absent row means state ``new``)."""

    __tablename__ = "conversation_reviews"

    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True, default="new")
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(255))


class ConversationTag(Base):
    """A tag on a chat session; one row per tag so the list can filter by tag via an index."""

    __tablename__ = "conversation_tags"
    __table_args__ = (Index("ix_conversation_tags_tag_session", "tag", "session_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    tag: Mapped[str] = mapped_column(String(40))


class ConversationNote(Base):
    """A private note an agent wrote about a chat session."""

    __tablename__ = "conversation_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    author_email: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


class HandoffMessage(Base):
    """A message exchanged while a human agent held a conversation (Rasa never saw it)."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    # "customer" or "agent".
    author: Mapped[str] = mapped_column(String(16))
    agent_email: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


class NluCorrection(Base):
    """The intent an agent says a customer message really had (exported as NLU training data).

    Keyed by the tracker event of the message; the text is copied so the export does not
    depend on the tracker store keeping its history.
    """

    __tablename__ = "nlu_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracker_event_id: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    sender_id: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    predicted_intent: Mapped[str | None] = mapped_column(String(255))
    confidence: Mapped[float | None] = mapped_column(Float)
    intent: Mapped[str] = mapped_column(String(255))
    message_at: Mapped[datetime] = mapped_column(DateTime)
    corrected_by: Mapped[str] = mapped_column(String(255))
    corrected_at: Mapped[datetime] = mapped_column(DateTime, index=True)
