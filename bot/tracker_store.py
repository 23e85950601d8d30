"""Rasa's SQL tracker store, made to hold on through a database restart instead of forgetting.

Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore`` (rasa/core/agent.py): when the
database does not answer, ``retrieve`` returns no tracker (the turn then runs on a fresh,
empty conversation) and ``save`` writes the turn to an in-memory store instead (the customer
sees an answer that never reaches the database). Both lose turns during a PostgreSQL
restart. This store waits for the database instead, for up to ``patience_seconds``:

- each read and write is retried (new connections; the pool pings the ones it hands out),
  so a restart of a few seconds delays turns rather than losing them;
- :meth:`reachable` lets the ``concierge`` channel refuse a turn it could not store before
  Rasa starts on it: the customer gets the console's apology and the conversation in the
  database stays whole (bot/channels/concierge_rest.py).

Only what the outage outlasts is lost, and then visibly: a write that still fails after the
patience raises, ``FailSafeTrackerStore`` keeps that turn in memory, and the channel answers
with its apology instead of the reply (the customer is not told a turn was handled that
the database does not have).

``endpoints.yml`` names it as ``type: bot.tracker_store.DurableSQLTrackerStore`` with the
usual SQL keys (concierge/rasa_endpoints.py); it runs in Rasa's environment (Python 3.10).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)

DEFAULT_PATIENCE_SECONDS = 10.0
RETRY_PAUSE_SECONDS = 0.5

_T = TypeVar("_T")


class TrackerStoreUnavailable(RuntimeError):
    """The database did not answer within the store's patience."""


class DurableSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that retries through short outages and can say whether it is up."""

    def __init__(
        self, *args: Any, patience_seconds: float = DEFAULT_PATIENCE_SECONDS, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.patience_seconds = float(patience_seconds)
        # The same engine as Rasa's, with each pooled connection pinged before use: after a
        # restart the pool's old connections are replaced instead of failing a turn each.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _patiently(self, what: str, call: Callable[[], Awaitable[_T]]) -> _T:
        deadline = time.monotonic() + self.patience_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                return await call()
            except (OperationalError, DBAPIError) as error:
                if time.monotonic() >= deadline:
                    raise TrackerStoreUnavailable(
                        f"the tracker store did not answer a {what} for "
                        f"{self.patience_seconds:.0f}s"
                    ) from error
                if attempt == 1:
                    logger.warning(
                        "Tracker store %s failed, retrying: %s", what, type(error).__name__
                    )
                await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return await self._patiently("read", lambda: SQLTrackerStore.retrieve(self, sender_id))

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        return await self._patiently(
            "read", lambda: SQLTrackerStore.retrieve_full_tracker(self, sender_id)
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._patiently("write", lambda: SQLTrackerStore.save(self, tracker))

    async def reachable(self) -> bool:
        """Whether the database answers ``SELECT 1`` within the patience."""

        async def ping() -> None:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))

        try:
            await self._patiently("ping", ping)
        except TrackerStoreUnavailable:
            return False
        return True
