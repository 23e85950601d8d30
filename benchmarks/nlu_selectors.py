"""The NLU's time per message with the response selectors as served and run on every message.

    cd /work/main && .venv-rasa/bin/python -m benchmarks.nlu_selectors \
        [--model models/concierge.tar.gz] [--rounds 20]

Runs in Rasa's environment, in one process: it loads the trained model with Rasa's
``Agent`` and parses the guest conversation of ``benchmarks.rasa_turn`` (:data:`SCRIPT`)
round after round, alternating between

- ``served``: ``bot.components.gated_response_selector.GatedResponseSelector`` as
  config.yml has it (a selector's network runs where its intent is in play), and
- ``everywhere``: every selector on every message, as Rasa's ``ResponseSelector`` does,

so both share the machine's load. It prints milliseconds per message (wall and this
process's CPU), the selectors' network calls per message, and served / everywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.rasa_turn import SCRIPT

ROOT = Path(__file__).resolve().parents[1]
MODES = ("served", "everywhere")


@dataclass
class Mode:
    """One mode's measurements: per round, ms per message; in all, selector calls."""

    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    selector_calls: int = 0
    messages: int = 0


def measure(agent: Any, texts: tuple[str, ...], rounds: int) -> dict[str, Mode]:
    """Parses ``texts`` ``rounds`` times in each mode, alternating which goes first."""
    from bot.components.gated_response_selector import GatedResponseSelector

    served_in_play = GatedResponseSelector.in_play
    predict = GatedResponseSelector._predict
    results = {mode: Mode() for mode in MODES}
    current: list[Mode] = [Mode()]  # the warm-up's calls are counted nowhere

    def counted(self: Any, message: Any) -> Any:
        current[0].selector_calls += 1
        return predict(self, message)

    async def parse_all() -> None:
        for text in texts:
            await agent.parse_message(text)

    GatedResponseSelector._predict = counted
    try:
        asyncio.run(parse_all())  # warm-up: TensorFlow traces each graph once
        for index in range(rounds):
            order = MODES if index % 2 == 0 else MODES[::-1]
            for mode in order:
                GatedResponseSelector.in_play = (
                    served_in_play if mode == "served" else (lambda self, message: True)
                )
                current[:] = [results[mode]]
                wall, cpu = time.perf_counter(), time.process_time()
                asyncio.run(parse_all())
                results[mode].wall_ms.append((time.perf_counter() - wall) * 1000 / len(texts))
                results[mode].cpu_ms.append((time.process_time() - cpu) * 1000 / len(texts))
                results[mode].messages += len(texts)
    finally:
        GatedResponseSelector.in_play = served_in_play
        GatedResponseSelector._predict = predict
    return results


def table(results: dict[str, Mode]) -> str:
    """A Markdown table of the two modes and their ratio (medians over the rounds)."""
    lines = [
        "| mode | ms per message (median of rounds) | CPU ms per message | selector calls per message |",
        "|---|---:|---:|---:|",
    ]
    for mode in MODES:
        r = results[mode]
        lines.append(
            f"| {mode} | {statistics.median(r.wall_ms):.1f} | {statistics.median(r.cpu_ms):.1f} "
            f"| {r.selector_calls / r.messages:.2f} |"
        )
    served, everywhere = results["served"], results["everywhere"]
    lines.append(
        f"| served / everywhere | {statistics.median(served.wall_ms) / statistics.median(everywhere.wall_ms):.2f} "
        f"| {statistics.median(served.cpu_ms) / statistics.median(everywhere.cpu_ms):.2f} "
        f"| {served.selector_calls / everywhere.selector_calls:.2f} |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "concierge.tar.gz"))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(args.model)
    results = measure(agent, SCRIPT, args.rounds)
    print(f"{len(SCRIPT)} messages a round, {args.rounds} rounds a mode, alternating")
    print(table(results))


if __name__ == "__main__":
    main()
