"""benchmarks/rasa_turn.py: its timers count only while switched on, nest, time async calls,
and its table puts each part beside its long/short ratio (the Rasa run itself is manual)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from benchmarks.rasa_turn import table
from benchmarks.rasa_turn_timers import Timers


class Work:
    def step(self, seconds: float) -> str:
        time.sleep(seconds)
        return "done"

    async def turn(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return self.step(seconds)


def test_timers_count_only_while_on_and_keep_the_results() -> None:
    timers = Timers()
    timers.wrap(Work, "step", "step")
    timers.wrap(Work, "turn", "turn")
    work = Work()
    assert asyncio.run(work.turn(0.01)) == "done"  # off: nothing counted
    assert timers.calls == {}

    timers.on = True
    asyncio.run(work.turn(0.02))
    timers.on = False

    assert timers.calls == {"turn": 1, "step": 1}
    assert timers.seconds["turn"] >= timers.seconds["step"] >= 0.02


def test_the_table_shows_milliseconds_per_turn_and_the_ratios() -> None:
    cells = [(kind, variant) for kind in ("short", "long") for variant in ("before", "after")]
    seconds: dict[tuple[str, str], dict[str, float]] = {c: defaultdict(float) for c in cells}
    calls: dict[tuple[str, str], dict[str, int]] = {c: defaultdict(int) for c in cells}
    for (kind, variant), spent in zip(cells, (0.2, 0.1, 0.6, 0.12), strict=True):
        seconds[(kind, variant)]["turn (handle_message)"] = spent
        calls[(kind, variant)]["turn (handle_message)"] = 2
    results = {
        "long_events_start": 546,
        "long_events_end": 600,
        "turns": {cell: 2 for cell in cells},
        "seconds": seconds,
        "calls": calls,
        "same_actions": {"short": True, "long": True},
    }

    text = table(results)

    assert "| turn (handle_message) | 100.0 (1.0) | 50.0 (1.0) | 300.0 (1.0) | 60.0 (1.0) |" in text
    assert text.rstrip().endswith("| 3.00 | 1.20 |")
    assert "546 events at the start" in text
