"""Idempotency keys of the API's writes (``Idempotency-Key`` header).

A write repeated with the same key and the same request gets the first answer again, and
records nothing twice; the same key with another request is refused. Keys are per API key
(``key_id``). Declared here because nothing else in the store points at the table;
``store.db.MODEL_MODULES`` lists this module (revision ``0010_api_idempotency``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class ApiIdempotency(Base):
    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("key_id", "idempotency_key", name="uq_api_idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(12))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the request (method, path, canonical body): the same key with another
    # request is a client error, not a replay.
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime)
