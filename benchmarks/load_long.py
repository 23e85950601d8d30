"""Long conversations against new ones, alternating in one run (``benchmarks.load --long``).

Rasa's ``SQLTrackerStore`` reads a conversation's whole session every turn and the policies
featurise it, so a customer who keeps one sender id (a messaging app, a long chat) may pay
more per turn the longer she talks. To see it, the run first grows ``conversations`` chats
until Rasa's tracker store holds ``events`` events for each, then alternates rounds: every
long chat says one line at once, then as many brand-new chats say the same line at once.
New chats are replaced after ``new_turns`` turns, so they stay short. Both groups thus
meet the same load, the same texts and the same machine, and only the tracker's length
differs; the report gives p50/p95, turns/s and CPU-s per turn of each group, and the ratio.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.load_client import (
    ANSWERED,
    CUSTOMER_SCRIPT,
    Chat,
    ConversationRecord,
    LoadReport,
)

LONG, NEW = "long", "new"


@dataclass
class GroupFigures:
    """One group's turns of the alternating phase, and the time and CPU its rounds took."""

    name: str
    records: list[ConversationRecord] = field(default_factory=list)
    elapsed: float = 0.0
    cpu_seconds: float = 0.0
    # Tracker events of the group's conversations when the phase began (min, max).
    events_at_start: tuple[int, int] = (0, 0)

    def report(self) -> LoadReport:
        return LoadReport(self.records, self.elapsed)

    def cpu_per_turn(self) -> float | None:
        answered = self.report().answered
        return self.cpu_seconds / answered if answered else None


@dataclass
class LongRun:
    """What a long-mode run measured: growth, then both groups."""

    grown_events: list[int]
    growth_turns: int
    growth_seconds: float
    long: GroupFigures
    new: GroupFigures
    load_average: float = 0.0


def script_line(position: int, order_number: str) -> str:
    """The script's line for round ``position``, cycling, with the customer's order."""
    return CUSTOMER_SCRIPT[position % len(CUSTOMER_SCRIPT)].format(order=order_number)


class ChatGroup:
    """``size`` open chats; a chat past ``renew_after`` turns is closed and a new one opened."""

    def __init__(
        self,
        make_chat: Callable[[int], Chat],
        numbers: itertools.count[int],
        size: int,
        renew_after: int | None,
    ) -> None:
        self._make_chat = make_chat
        self._numbers = numbers
        self._renew_after = renew_after
        self.size = size
        self.chats: list[tuple[Chat, str]] = []
        self.all_records: list[ConversationRecord] = []

    async def _open(self, order_number: str) -> tuple[Chat, str]:
        chat = self._make_chat(next(self._numbers))
        self.all_records.append(chat.record)
        await chat.start()
        if chat.record.start_error:
            raise RuntimeError(f"a chat did not start: {chat.record.start_error}")
        return chat, order_number

    async def open(self, orders: Callable[[int], str]) -> None:
        self.chats = list(await asyncio.gather(*(self._open(orders(i)) for i in range(self.size))))

    async def say_round(self, position: int) -> None:
        """Every chat says the round's line at once; spent chats are replaced first."""
        if self._renew_after is not None:
            for i, (chat, order) in enumerate(self.chats):
                if len(chat.record.turns) >= self._renew_after:
                    await chat.close()
                    self.chats[i] = await self._open(order)
        await asyncio.gather(
            *(chat.say(script_line(position, order)) for chat, order in self.chats)
        )

    async def close(self) -> None:
        await asyncio.gather(*(chat.close() for chat, _ in self.chats), return_exceptions=True)


def _turns_since(
    records: list[ConversationRecord], marks: dict[int, int]
) -> list[ConversationRecord]:
    """Copies of ``records`` holding only the turns after each one's mark (by ``id``)."""
    return [
        ConversationRecord(r.sender_id, r.turns[marks.get(id(r), 0) :], r.reconnects, r.start_error)
        for r in records
    ]


async def grow(
    group: ChatGroup, event_count: Callable[[str], int], events: int, position: int = 0
) -> tuple[list[int], int]:
    """Rounds of ``group`` until each tracker holds ``events`` events: (sizes, next position).

    Bounded: a turn stores at least two events (the message and the listen after it), so
    ``events`` rounds always suffice; a round nobody answered raises RuntimeError.
    """
    sizes = [0] * group.size
    limit = position + events
    while min(sizes) < events and position < limit:
        answered_before = sum(c.record.answered for c, _ in group.chats)
        await group.say_round(position)
        position += 1
        if sum(c.record.answered for c, _ in group.chats) == answered_before:
            raise RuntimeError("no conversation answered a turn while growing")
        sizes = [event_count(chat.record.sender_id) for chat, _ in group.chats]
    return sizes, position


async def run_long(
    make_chat: Callable[[int], Chat],
    orders: Callable[[int], str],
    event_count: Callable[[str], int],
    cpu_seconds: Callable[[], float],
    *,
    conversations: int,
    events: int,
    new_turns: int,
    duration: float | None = None,
    rounds: int | None = None,
) -> LongRun:
    """Grow ``conversations`` chats to ``events`` tracker events, then alternate rounds.

    The alternating phase ends after ``rounds`` rounds or once ``duration`` has passed. A
    growth that cannot reach ``events`` (no turn answered in a round) raises RuntimeError.
    """
    if rounds is None and duration is None:
        raise ValueError("bound the run: give rounds, duration or both")
    numbers = itertools.count()
    long_group = ChatGroup(make_chat, numbers, conversations, None)
    new_group = ChatGroup(make_chat, numbers, conversations, new_turns)
    try:
        await long_group.open(orders)
        began = time.monotonic()
        sizes, position = await grow(long_group, event_count, events)
        growth = LongRun(
            sizes, position, time.monotonic() - began, GroupFigures(LONG), GroupFigures(NEW)
        )
        growth.long.events_at_start = (min(sizes), max(sizes))
        await new_group.open(orders)
        marks = {id(c.record): len(c.record.turns) for c, _ in long_group.chats}
        stop_at = time.monotonic() + duration if duration is not None else float("inf")
        for step in itertools.count():
            if (rounds is not None and step >= rounds) or time.monotonic() >= stop_at:
                break
            for group, figures in ((long_group, growth.long), (new_group, growth.new)):
                cpu_before, t0 = cpu_seconds(), time.monotonic()
                await group.say_round(position)
                figures.elapsed += time.monotonic() - t0
                figures.cpu_seconds += cpu_seconds() - cpu_before
            position += 1
        growth.long.records = _turns_since(long_group.all_records, marks)
        growth.new.records = list(new_group.all_records)
        return growth
    finally:
        await long_group.close()
        await new_group.close()


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or not b else f"{a / b:.2f}"


LONG_HEADER = (
    "| group | conversations | tracker events at start | turns answered | not answered "
    "| turns/s | p50 ms | p95 ms | stack CPU-s/turn |\n|" + "---|" * 9
)


def format_long(run: LongRun) -> str:
    """The two rows and the long/new ratios, as Markdown."""
    lines = [LONG_HEADER]
    for figures in (run.long, run.new):
        report = figures.report()
        cpu = figures.cpu_per_turn()
        low, high = figures.events_at_start
        lines.append(
            "| "
            + " | ".join(
                [
                    figures.name,
                    str(len(report.conversations)),
                    f"{low}–{high}",
                    str(report.answered),
                    str(sum(t.outcome != ANSWERED for t in report.turns)),
                    f"{report.answered / figures.elapsed:.2f}" if figures.elapsed else "–",
                    _ms(report.latency_percentile(50)),
                    _ms(report.latency_percentile(95)),
                    "–" if cpu is None else f"{cpu:.3f}",
                ]
            )
            + " |"
        )
    long_r, new_r = run.long.report(), run.new.report()
    lines.append(
        f"\nlong/new: p50 {_ratio(long_r.latency_percentile(50), new_r.latency_percentile(50))}"
        f", p95 {_ratio(long_r.latency_percentile(95), new_r.latency_percentile(95))}"
        f", CPU/turn {_ratio(run.long.cpu_per_turn(), run.new.cpu_per_turn())}"
        f" (grown in {run.growth_turns} turns, {run.growth_seconds:.0f} s;"
        f" load avg {run.load_average:.1f})"
    )
    return "\n".join(lines)
