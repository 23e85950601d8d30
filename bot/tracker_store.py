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

It also keeps the conversations it last saved in memory (:class:`RecentTrackers`): Rasa reads a
conversation before each turn, and ``SQLTrackerStore`` rebuilds it from every event of the
session -- one JSON parse and one replay per event, the part of a turn that grew with the
conversation (benchmarks/rasa_turn.py: ~100 ms of a turn at 600 events). A kept tracker is
handed out only while the database still holds exactly the rows it was saved with (the
sender's row count and newest row id, one indexed query), so a turn served by another Rasa
server, an erasure or a retention run is seen and the conversation is read again. At most
200 conversations and 20,000 events (~100 MB) are kept; the endpoints.yml keys
``cached_conversations`` and ``cached_events`` change that (0 keeps none). Saving a tracker
it handed out, it also knows how many of its events the database holds, where Rasa counts
them with a query over the whole conversation (~3 ms at 900 events).

``endpoints.yml`` names it as ``type: bot.tracker_store.DurableSQLTrackerStore`` with the
usual SQL keys (concierge/rasa_endpoints.py); it runs in Rasa's environment (Python 3.10).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)

DEFAULT_PATIENCE_SECONDS = 10.0
# Conversations kept in memory between turns, and their events in all: an event takes ~5 KB
# (the parse data's intent and response rankings; tracemalloc on a 276-event tracker), so
# 20,000 events are ~100 MB. The least recently saved conversation is dropped first (it is
# read from the database again).
DEFAULT_CACHED_CONVERSATIONS = 200
DEFAULT_CACHED_EVENTS = 20_000
RETRY_PAUSE_SECONDS = 0.5

_T = TypeVar("_T")


class TrackerStoreUnavailable(RuntimeError):
    """The database did not answer within the store's patience."""


# What the database holds for one sender: (rows, newest row id). Rasa only ever appends rows
# (ids grow), erasure and retention only delete them, so any change moves one of the two.
RowsFingerprint = tuple[int, Any]


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    rows: RowsFingerprint
    events: int  # len(tracker.events) when saved: a tracker changed after its save is stale


def reads_back_the_same(tracker: DialogueStateTracker) -> bool:
    """Whether ``SQLTrackerStore.retrieve`` would return exactly these events.

    It returns the events from the latest ``SessionStarted`` on (by timestamp), so a tracker
    that still holds an earlier session's events (the first turn of a session) is not kept.
    """
    starts = [e.timestamp for e in tracker.events if isinstance(e, SessionStarted)]
    if not starts:
        return True
    latest = max(starts)
    return all(event.timestamp >= latest for event in tracker.events)


class RecentTrackers:
    """The trackers saved last, each with the database rows it matches (least recent dropped).

    A kept tracker is taken out when it is handed to a turn and put back when that turn is
    saved, so a turn that fails before its save leaves nothing stale behind.
    """

    def __init__(self, size: int, max_events: int = DEFAULT_CACHED_EVENTS) -> None:
        self.size = size
        self.max_events = max_events
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._events = 0
        # The trackers handed to a turn and not yet saved, with their events then. Weakly:
        # a turn that fails before its save, or a read without one, holds nothing here.
        self._handed_out: dict[str, tuple[weakref.ref[DialogueStateTracker], int]] = {}

    @property
    def events(self) -> int:
        """Events of all the kept trackers (what bounds their memory)."""
        return self._events

    def __len__(self) -> int:
        return len(self._kept)

    def _drop(self, sender_id: str) -> _Kept | None:
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            self._events -= kept.events
        return kept

    def take(self, sender_id: str, rows: RowsFingerprint) -> DialogueStateTracker | None:
        kept = self._drop(sender_id)
        self._handed_out.pop(sender_id, None)  # an earlier hand-out's count is history
        if kept is None or kept.rows != rows or len(kept.tracker.events) != kept.events:
            return None
        if len(self._handed_out) >= 4 * self.size + 64:  # drop the gone ones now and then
            gone = [sender for sender, (ref, _) in self._handed_out.items() if ref() is None]
            for sender in gone:
                del self._handed_out[sender]
        self._handed_out[sender_id] = (weakref.ref(kept.tracker), kept.events)
        return kept.tracker

    def stored_events(self, tracker: DialogueStateTracker) -> int | None:
        """How many of a handed-out tracker's events the database holds (once; else None).

        Only for the tracker object :meth:`take` handed out: the database held exactly its
        events then (the fingerprint matched), and a sender's turns do not overlap (Rasa's
        lock store), so until its save the database still holds them and no more.
        """
        handed = self._handed_out.pop(tracker.sender_id, None)
        if handed is None or handed[0]() is not tracker or handed[1] > len(tracker.events):
            return None
        return handed[1]

    def keep(self, tracker: DialogueStateTracker, rows: RowsFingerprint) -> None:
        self._drop(tracker.sender_id)
        events = len(tracker.events)
        if self.size <= 0 or events > self.max_events or not reads_back_the_same(tracker):
            return
        self._kept[tracker.sender_id] = _Kept(tracker, rows, events)
        self._events += events
        while len(self._kept) > self.size or self._events > self.max_events:
            self._drop(next(iter(self._kept)))

    def forget(self, sender_id: str) -> None:
        self._drop(sender_id)
        self._handed_out.pop(sender_id, None)

    def clear(self) -> None:
        self._kept.clear()
        self._events = 0


class DurableSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that retries through short outages, can say whether it is up, and
    keeps recently saved conversations instead of rebuilding them from the database."""

    def __init__(
        self,
        *args: Any,
        patience_seconds: float = DEFAULT_PATIENCE_SECONDS,
        cached_conversations: int = DEFAULT_CACHED_CONVERSATIONS,
        cached_events: int = DEFAULT_CACHED_EVENTS,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.patience_seconds = float(patience_seconds)
        self.recent = RecentTrackers(int(cached_conversations), int(cached_events))
        # While a handed-out tracker is saved: how many of its events the database holds.
        self._stored_at_save: dict[str, int] = {}
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

    def _rows(self, sender_id: str) -> RowsFingerprint:
        """The sender's row count and newest row id (the events table's sender_id index)."""
        event = self.SQLEvent
        with self.session_scope() as session:
            count, newest = (
                session.query(sa.func.count(event.id), sa.func.max(event.id))
                .filter(event.sender_id == sender_id)
                .one()
            )
        return int(count), newest

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        async def read() -> DialogueStateTracker | None:
            kept = self.recent.take(sender_id, self._rows(sender_id))
            if kept is not None:
                return kept
            return await SQLTrackerStore.retrieve(self, sender_id)

        return await self._patiently("read", read)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        return await self._patiently(
            "read", lambda: SQLTrackerStore.retrieve_full_tracker(self, sender_id)
        )

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        """The events to insert: Rasa counts the stored ones with a query that reads every
        row of the conversation; for the tracker this store handed out, it knows them."""
        stored = self._stored_at_save.pop(tracker.sender_id, None)
        if stored is None:
            return cast(Iterator[Any], super()._additional_events(session, tracker))
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        stored = self.recent.stored_events(tracker)
        self.recent.forget(tracker.sender_id)

        attempts = 0

        async def write() -> None:
            nonlocal attempts
            attempts += 1
            # The first attempt only: one that failed may have written before it failed.
            if stored is not None and attempts == 1:
                self._stored_at_save[tracker.sender_id] = stored
            try:
                await SQLTrackerStore.save(self, tracker)
            finally:
                self._stored_at_save.pop(tracker.sender_id, None)

        await self._patiently("write", write)
        try:
            rows = self._rows(tracker.sender_id)
        except (OperationalError, DBAPIError):
            return  # saved; only the shortcut for the next read is lost
        self.recent.keep(tracker, rows)

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
