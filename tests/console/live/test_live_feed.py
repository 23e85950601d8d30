"""The consumer's in-memory record: what it counts, and from when it is whole."""

from __future__ import annotations

import asyncio

import pytest

from console.live.events import LiveEvent, LiveKind
from console.live.feed import MAX_SENDERS, LiveFeed, Source


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def started(sender: str, at: float) -> LiveEvent:
    return LiveEvent(LiveKind.CONVERSATION_STARTED, sender, at)


def asked(sender: str, at: float) -> LiveEvent:
    return LiveEvent(LiveKind.HANDOFF_REQUESTED, sender, at)


def test_summary_counts_sessions_and_distinct_handoff_requests_since_a_moment() -> None:
    clock = Clock(1000.0)
    feed = LiveFeed(clock)
    feed.mark_bound()
    for event in (started("old", 999.0), started("a", 1001.0), started("b", 1002.0)):
        feed.record(event)
    # Asking twice while waiting is one request; a non-shown event is only counted as received.
    for event in (asked("a", 1003.0), asked("a", 1004.0), None):
        feed.record(event)

    summary = feed.summary(1000.0)

    assert summary.source == Source.BROKER and summary.complete
    assert summary.conversations == 2 and summary.conversation_senders == ("a", "b")
    assert summary.handoff_senders == ("a",)
    assert feed.received == 6


def test_feed_is_incomplete_before_it_was_bound_and_while_disconnected() -> None:
    clock = Clock(1000.0)
    feed = LiveFeed(clock)
    assert not feed.covers(2000.0)  # never bound

    feed.mark_bound()
    assert feed.covers(1000.0) and not feed.covers(999.0)

    feed.mark_lost()
    assert not feed.covers(1500.0)

    clock.now = 1600.0
    feed.mark_bound()  # reconnected: whole again, but only from the reconnection on
    assert feed.covers(1600.0) and not feed.covers(1500.0)
    assert not feed.summary(1500.0).complete


def test_events_older_than_a_day_are_forgotten() -> None:
    clock = Clock(100_000.0)
    feed = LiveFeed(clock)
    feed.mark_bound()
    feed.record(started("ancient", 100.0))
    feed.record(started("fresh", 99_999.0))

    assert feed.summary(0.0).conversation_senders == ("fresh",)


def test_sender_list_keeps_the_latest_but_counts_all() -> None:
    feed = LiveFeed(Clock(0.0))
    for i in range(MAX_SENDERS + 5):
        feed.record(started(f"s{i}", float(i)))

    summary = feed.summary(0.0)

    assert summary.conversations == MAX_SENDERS + 5
    assert len(summary.conversation_senders) == MAX_SENDERS
    assert summary.conversation_senders[-1] == f"s{MAX_SENDERS + 4}"


@pytest.mark.asyncio
async def test_waiting_ends_when_a_shown_event_arrives_and_times_out_otherwise() -> None:
    feed = LiveFeed(Clock(0.0))
    assert await feed.wait_for_news(0.05) is False

    waiter = asyncio.create_task(feed.wait_for_news(5.0))
    await asyncio.sleep(0.01)
    feed.record(started("a", 1.0))

    assert await asyncio.wait_for(waiter, 1.0) is True
