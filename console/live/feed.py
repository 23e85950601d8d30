"""The live feed's summary, and the in-memory record of events a console consumed.

A :class:`LiveSummary` answers "since this moment, how many conversations started and
who asked for a person", whichever source computed it. :class:`LiveFeed` keeps the
recent :class:`~console.live.events.LiveEvent` s the broker consumer delivered, and knows
from when its record is whole: only from the moment its queue was (re)bound to Rasa's
exchange. Events published while a console had no queue (before it started, while
RabbitMQ was unreachable) never reach it, so for an earlier ``since`` the summary is
marked incomplete and the caller reads the shop database instead.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from console.live.events import LiveEvent, LiveKind

# How long and how many events a console keeps: a staff page older than a day reloads anyway.
KEEP_SECONDS = 24 * 3600
MAX_EVENTS = 50_000
# Sender ids listed in a summary (the counts are not capped).
MAX_SENDERS = 50


class Source:
    """Where a summary came from."""

    BROKER = "broker"
    STORE = "store"


@dataclass(frozen=True)
class LiveSummary:
    """What happened since ``since`` (epoch seconds), for the staff pages' banner.

    ``conversations`` counts sessions started; ``handoff_senders`` are the distinct
    conversations that asked for a person (asking twice while waiting is one request).
    """

    source: str
    since: float
    conversations: int
    conversation_senders: tuple[str, ...]
    handoff_senders: tuple[str, ...]
    complete: bool = True

    def as_json(self) -> dict[str, Any]:
        """The JSON body ``/staff/live/summary`` answers."""
        return {
            "source": self.source,
            "complete": self.complete,
            "since": self.since,
            "new_conversations": self.conversations,
            "conversation_senders": list(self.conversation_senders),
            "handoff_requests": len(self.handoff_senders),
            "handoff_senders": list(self.handoff_senders),
        }

    def counts(self) -> tuple[int, int]:
        """The two numbers the banner shows; a long poll waits until they change."""
        return self.conversations, len(self.handoff_senders)


def summarise(
    source: str, since: float, started: Iterable[str], handoffs: Iterable[str], complete: bool
) -> LiveSummary:
    """A summary from the senders of the sessions and the handoff requests, oldest first."""
    started = list(started)
    return LiveSummary(
        source=source,
        since=since,
        conversations=len(started),
        conversation_senders=_latest_distinct(started),
        handoff_senders=_latest_distinct(handoffs),
        complete=complete,
    )


def _latest_distinct(senders: Iterable[str]) -> tuple[str, ...]:
    """Distinct sender ids, oldest first, at most MAX_SENDERS of the latest."""
    return tuple(dict.fromkeys(senders))[-MAX_SENDERS:]


class LiveFeed:
    """Events consumed from the broker, kept for a day, with the time from which they are whole."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._events: deque[LiveEvent] = deque(maxlen=MAX_EVENTS)
        self._news = asyncio.Event()
        self.connected = False
        # Since when every published event reached this console (None: not yet bound).
        self.covered_since: float | None = None
        # Every tracker event consumed, shown or not: what an operator compares with Rasa.
        self.received = 0

    def mark_bound(self) -> None:
        """The consumer's queue is bound (again): from now on no event is missed."""
        self.connected = True
        self.covered_since = self._clock()

    def mark_lost(self) -> None:
        """The broker connection is gone: events published from now on may never arrive."""
        self.connected = False

    def covers(self, since: float) -> bool:
        """Whether every event from ``since`` on has reached this console."""
        return self.connected and self.covered_since is not None and since >= self.covered_since

    def record(self, event: LiveEvent | None) -> None:
        """Count one consumed tracker event and keep it if the staff pages show its kind."""
        self.received += 1
        if event is None:
            return
        self._events.append(event)
        oldest = self._clock() - KEEP_SECONDS
        while self._events and self._events[0].at < oldest:
            self._events.popleft()
        self._news.set()
        self._news = asyncio.Event()

    def summary(self, since: float) -> LiveSummary:
        """What the consumed events say about ``since``; ``complete`` says if that is all."""
        kept = sorted((e for e in self._events if e.at >= since), key=lambda e: e.at)
        started = (e.sender_id for e in kept if e.kind is LiveKind.CONVERSATION_STARTED)
        asked = (e.sender_id for e in kept if e.kind is LiveKind.HANDOFF_REQUESTED)
        return summarise(Source.BROKER, since, started, asked, self.covers(since))

    async def wait_for_news(self, timeout: float) -> bool:
        """Wait until the next shown event arrives (True) or ``timeout`` seconds pass."""
        news = self._news
        try:
            await asyncio.wait_for(news.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def status(self) -> dict[str, Any]:
        """The consumer's state for the JSON answer and the health of the live views."""
        return {
            "connected": self.connected,
            "covered_since": self.covered_since,
            "received": self.received,
        }
