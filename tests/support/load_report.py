"""What a load run recorded, and the check that the tracker store agrees with it.

A run (``tests/support/load_client.py``) keeps, for every conversation, the sender id the
console issued and every turn it sent with its outcome, latency and the bot's words. The
load and fault tests then read Rasa's tracker store and ask :func:`tracker_problems` whether
every answered turn is there exactly once and in order; the benchmark reads the latencies.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Turn outcomes. ``dropped``: the socket closed while the turn was in flight.
ANSWERED, ERROR, TIMEOUT, DROPPED = "answered", "error", "timeout", "dropped"


@dataclass
class Turn:
    """One message sent and what came of it."""

    text: str
    outcome: str
    latency: float | None = None
    code: str = ""
    # The texts of the bot's reply (a fault test tells an apology from an answer).
    replies: tuple[str, ...] = ()


@dataclass
class ConversationRecord:
    """A conversation's sender id and its turns in the order they were sent."""

    sender_id: str
    turns: list[Turn] = field(default_factory=list)
    reconnects: int = 0
    start_error: str = ""

    @property
    def answered(self) -> int:
        return sum(turn.outcome == ANSWERED for turn in self.turns)


@dataclass
class LoadReport:
    """Every conversation of one run, and how long the run took."""

    conversations: list[ConversationRecord]
    elapsed: float

    @property
    def turns(self) -> list[Turn]:
        return [turn for record in self.conversations for turn in record.turns]

    @property
    def answered(self) -> int:
        return sum(record.answered for record in self.conversations)

    @property
    def errors(self) -> int:
        """Turns not answered (error frames, timeouts, drops) plus chats that never started."""
        failed = sum(turn.outcome != ANSWERED for turn in self.turns)
        return failed + sum(bool(record.start_error) for record in self.conversations)

    @property
    def reconnects(self) -> int:
        return sum(record.reconnects for record in self.conversations)

    @property
    def turns_per_second(self) -> float:
        return self.answered / self.elapsed if self.elapsed > 0 else 0.0

    def latency_percentile(self, percent: float) -> float | None:
        """The ``percent``-th percentile of answered turns' latency in seconds."""
        latencies = sorted(t.latency for t in self.turns if t.outcome == ANSWERED and t.latency)
        if not latencies:
            return None
        if len(latencies) == 1:
            return latencies[0]
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        return cuts[min(98, max(0, round(percent) - 1))]


def tracker_problems(record: ConversationRecord, events: Sequence[dict[str, Any]]) -> list[str]:
    """What is wrong with the tracker's copy of ``record``; empty when every turn is right.

    Answered turns must be stored exactly once; a turn that got an error, timed out or was
    dropped reached Rasa at most once. All stored turns must be in the order they were sent.
    """
    stored = [e.get("text") for e in events if e.get("event") == "user"]
    sent = [turn.text for turn in record.turns]
    problems = []
    counts = Counter(stored)
    for turn in record.turns:
        found = counts[turn.text]
        if turn.outcome == ANSWERED and found != 1:
            problems.append(f"answered turn {turn.text!r} stored {found} times")
        elif found > 1:
            problems.append(f"{turn.outcome} turn {turn.text!r} stored {found} times")
    strangers = [text for text in stored if text not in set(sent)]
    if strangers:
        problems.append(f"stored turns nobody sent: {strangers!r}")
    expected_order = [text for text in sent if text in counts]
    if [text for text in stored if text in set(sent)] != expected_order and not problems:
        problems.append(f"turns stored out of order: {stored!r}, sent {sent!r}")
    return problems
