"""One-time link codes: how a messaging-app user (Telegram) proves to be a shop customer.

A signed-in customer is given a short code; sending it to the bot links that channel user
to the customer (the identities table). Only the code's SHA-256 is kept; a code expires and
is single-use, and wrong codes are counted per channel user (``link_attempts``) so guessing
is limited. Declared here rather than in ``store/models.py`` because nothing else in the
store points at these tables; ``store.db.MODEL_MODULES`` lists this module so the one
Alembic history (revision ``0009_link_codes``) covers it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class LinkCode(Base):
    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # The channel the code links (``telegram``).
    channel: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The channel user id that redeemed it.
    used_by: Mapped[str | None] = mapped_column(String(255))


class LinkAttempt(Base):
    __tablename__ = "link_attempts"
    __table_args__ = (Index("ix_link_attempts_user_at", "channel", "channel_user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    channel_user_id: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(DateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
