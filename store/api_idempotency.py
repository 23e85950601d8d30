"""Idempotency keys of the API's writes (``Idempotency-Key`` header).

A write repeated with the same key and the same request gets the first answer again, and
records nothing twice; the same key with another request is refused. Keys are per API key
(``key_id``). Declared here because nothing else in the store points at the table;
``store.db.MODEL_MODULES`` lists this module (revision ``0010_api_idempotency``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    Select,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from store.db import Clock, UnitOfWork, utcnow
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


# A claim is stored with this status until its answer is: the request is being worked on.
PENDING = 0
KEY_MAX = 100


class IdempotencyConflict(ValueError):
    """The idempotency key was used before with another request."""


@dataclass(frozen=True)
class Stored:
    """The first answer to a request, kept for its replays."""

    status: int
    response: dict[str, Any]


class ApiIdempotencyKeys(UnitOfWork):
    """Claim an idempotency key, then store the answer its request got.

    ``claim`` inserts a pending row: the table's unique constraint lets exactly one of two
    racing requests in, so the work behind a key runs once. The other waits for the
    first one's answer (``wait_for``) and replays it. A claim whose work failed is
    released, so the caller can retry with the same key; one left pending by a crashed
    process is taken over after ``stale_after``.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock = utcnow,
        stale_after: timedelta = timedelta(minutes=2),
    ) -> None:
        super().__init__(session_factory, clock)
        self._stale_after = stale_after

    def claim(self, key_id: str, key: str, request_sha256: str) -> Stored | None:
        """None when this caller now owns the key; the stored answer when it was used.

        A pending claim of another request is returned as ``Stored(PENDING, {})``; raises
        :class:`IdempotencyConflict` when the key was used with another request.
        """
        now = self._clock()
        try:
            with self._write() as s:
                s.add(
                    ApiIdempotency(
                        key_id=key_id,
                        idempotency_key=key,
                        request_sha256=request_sha256,
                        status=PENDING,
                        response={},
                        created_at=now,
                    )
                )
                s.flush()
            return None
        except IntegrityError:
            pass  # the key exists: replay, conflict or wait
        with self._write() as s:
            row = s.scalar(self._select(key_id, key))
            if row is None:  # released in between: try again from the start
                return self.claim(key_id, key, request_sha256)
            if row.request_sha256 != request_sha256:
                raise IdempotencyConflict(key)
            if row.status == PENDING and now - row.created_at > self._stale_after:
                row.created_at = now  # a crashed claim: take it over
                return None
            return Stored(row.status, dict(row.response))

    def complete(self, key_id: str, key: str, status: int, response: dict[str, Any]) -> None:
        """Store the answer of a claimed key, for every replay to come."""
        with self._write() as s:
            s.execute(
                update(ApiIdempotency)
                .where(ApiIdempotency.key_id == key_id, ApiIdempotency.idempotency_key == key)
                .values(status=status, response=response)
            )

    def release(self, key_id: str, key: str) -> None:
        """Forget a claim whose work failed, so the same key can be tried again."""
        with self._write() as s:
            s.execute(
                delete(ApiIdempotency).where(
                    ApiIdempotency.key_id == key_id,
                    ApiIdempotency.idempotency_key == key,
                    ApiIdempotency.status == PENDING,
                )
            )

    def forget_before(self, cutoff: datetime) -> int:
        """Delete the keys answered before ``cutoff``; returns how many went.

        A retry comes within minutes or hours, so a day's keys are plenty; without this
        the table would keep every recording call the API ever answered.
        """
        with self._write() as s:
            result = s.execute(
                delete(ApiIdempotency).where(
                    ApiIdempotency.created_at < cutoff, ApiIdempotency.status != PENDING
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def stored(self, key_id: str, key: str) -> Stored | None:
        """The row of a key as it is now (pending or answered); None when there is none."""
        with self._read() as s:
            row = s.scalar(self._select(key_id, key))
            return Stored(row.status, dict(row.response)) if row is not None else None

    @staticmethod
    def _select(key_id: str, key: str) -> Select[ApiIdempotency]:
        return select(ApiIdempotency).where(
            ApiIdempotency.key_id == key_id, ApiIdempotency.idempotency_key == key
        )
