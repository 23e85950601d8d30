"""Turns per second, latency and CPU per turn of whole conversations, against Rasa's own bot.

    nice -n 10 .venv/bin/python -m benchmarks.load [--modes embedded,scaled,baseline]
        [--levels 1,20,50] [--duration 60] [--turns 20] [--smoke]
        [--long 500 [--long-conversations 5]]

A closed loop on 127.0.0.1 (``tests/support/load_client.py``): at each level, that many
customers chat at once, each sending the next turn only when the last was answered, and
a finished conversation is followed by a new one until ``--duration`` has passed. Stacks:

- ``embedded``: :class:`concierge.stack.Stack`, one process of each service on SQLite, on
  a copy of the demo shop in ``var/`` (its trained artifacts read in place);
- ``scaled``: :class:`concierge.scale.ScaledStack` with two of each service behind nginx on
  PostgreSQL, Redis and RabbitMQ (data under ``var/bench/scale``, kept between runs);
- ``baseline``: Rasa's ``rasa init`` assistant (no action server, in-memory tracker)
  trained once into ``var/bench/rasa-init`` and served by ``rasa run`` (no HTTP API), the
  same script sent through its REST channel.

CPU-seconds per turn is the user+system time the stack's processes (every service and
engine, with their children) used during the level, divided by the turns answered; the
driver's own CPU is shown apart, since it shares the same cores. ``--smoke`` runs a tiny
version (levels 1 and 2, three turns, one conversation per customer slot).

Each stack's start-up is printed first: seconds from start until each service answered.
``--long EVENTS`` replaces the levels, on stacks whose tracker store the driver can read
(``embedded``): it grows ``--long-conversations`` chats until each tracker holds EVENTS
events, then alternates rounds of turns in those and in as many new chats (renewed every
``--turns`` turns) for ``--duration`` seconds, and prints both groups and the ratio
long/new (``benchmarks/load_long.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load_long import LongRun, format_long, run_long
from benchmarks.load_stacks import (
    BENCH_DIR,
    Target,
    baseline_target,
    embedded_target,
    scaled_target,
)
from tests.support.load_client import (
    ANSWERED,
    LoadCustomer,
    LoadReport,
    conversation_script,
    run_load,
)

MODES = ("embedded", "scaled", "baseline")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    """One level's figures."""

    mode: str
    concurrency: int
    report: LoadReport
    cpu_seconds: float
    client_cpu_seconds: float
    # The machine's 1-minute load average as the level ended: the cores are shared.
    load_average: float

    def per_turn(self, seconds: float) -> float | None:
        return seconds / self.report.answered if self.report.answered else None


def cpu_seconds(root_pids: list[int]) -> float:
    """User+system seconds of the processes under ``root_pids``, reaped children included."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # The command name (field 2) may hold spaces; the fields after it are numbers.
        fields = stat.rsplit(")", 1)[1].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    roots = set(root_pids)
    total = 0
    for pid, ticks in times.items():
        ancestor, hops = pid, 0
        while ancestor > 1 and ancestor not in roots and hops < 64:
            ancestor, hops = parents.get(ancestor, 0), hops + 1
        if ancestor in roots:
            total += ticks
    return total / CLOCK_TICKS


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(
    target: Target, concurrency: int, turns: int, duration: float, conversations: int | None
) -> Row:
    """One closed-loop level against ``target``."""
    customers = target.customers

    def script(n: int) -> list[str]:
        return conversation_script(customers[n % len(customers)].order_number, turns)

    pids = target.root_pids()
    stack_before, client_before = cpu_seconds(pids), _client_cpu()
    report = await run_load(
        target.make_chat,
        script,
        concurrency=concurrency,
        conversations=conversations,
        duration=duration,
    )
    return Row(
        target.mode,
        concurrency,
        report,
        cpu_seconds(pids) - stack_before,
        _client_cpu() - client_before,
        os.getloadavg()[0],
    )


def run_levels(
    target: Target, levels: list[int], turns: int, duration: float, smoke: bool
) -> list[Row]:
    """Warm the stack up with one short conversation, then measure each level."""
    asyncio.run(
        run_load(target.make_chat, lambda n: ["hi", "thanks!"], concurrency=1, conversations=1)
    )
    rows = []
    for level in levels:
        row = asyncio.run(measure(target, level, turns, duration, level if smoke else None))
        print(format_row(row, None), flush=True)
        failures = failure_counts(row.report)
        if failures:
            print(f"  not answered: {failures}", flush=True)
        rows.append(row)
    return rows


def failure_counts(report: LoadReport) -> dict[str, int]:
    """Why turns went unanswered or chats never started, by outcome and code."""
    reasons = Counter(f"{t.outcome}: {t.code}" for t in report.turns if t.outcome != ANSWERED)
    reasons.update(f"start: {r.start_error}" for r in report.conversations if r.start_error)
    return dict(reasons.most_common())


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f}"


def format_row(row: Row, baseline: Row | None) -> str:
    report = row.report
    cpu = row.per_turn(row.cpu_seconds)
    client = row.per_turn(row.client_cpu_seconds)
    ratio_tps = ratio_cpu = "–"
    if baseline is not None and baseline.report.turns_per_second:
        ratio_tps = f"{report.turns_per_second / baseline.report.turns_per_second:.2f}"
        base_cpu = baseline.per_turn(baseline.cpu_seconds)
        if cpu is not None and base_cpu:
            ratio_cpu = f"{cpu / base_cpu:.1f}"
    cells = [
        row.mode,
        str(row.concurrency),
        str(len(report.conversations)),
        str(report.answered),
        f"{report.turns_per_second:.2f}",
        _ms(report.latency_percentile(50)),
        _ms(report.latency_percentile(95)),
        _ms(report.latency_percentile(99)),
        str(report.errors),
        str(report.reconnects),
        "–" if cpu is None else f"{cpu:.3f}",
        "–" if client is None else f"{client:.3f}",
        ratio_tps,
        ratio_cpu,
        f"{row.load_average:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| stack | concurrent | conversations | turns answered | turns/s | p50 ms | p95 ms | p99 ms "
    "| errors | reconnects | stack CPU-s/turn | driver CPU-s/turn | turns/s vs baseline "
    "| CPU/turn vs baseline | load avg |\n|" + "---|" * 15
)


def print_table(rows: list[Row]) -> None:
    baselines = {row.concurrency: row for row in rows if row.mode == "baseline"}
    print("\n" + HEADER)
    for row in rows:
        print(format_row(row, baselines.get(row.concurrency)))


def run_long_mode(
    target: Target, events: int, conversations: int, new_turns: int, duration: float
) -> LongRun:
    """The long-against-new run on ``target`` (see ``benchmarks/load_long.py``)."""
    if target.event_count is None:
        raise ValueError(f"{target.mode}: the driver cannot count this stack's tracker events")
    customers = target.customers
    pids = target.root_pids()
    run = asyncio.run(
        run_long(
            target.make_chat,
            lambda n: customers[n % len(customers)].order_number,
            target.event_count,
            lambda: cpu_seconds(pids),
            conversations=conversations,
            events=events,
            new_turns=new_turns,
            duration=duration,
        )
    )
    run.load_average = os.getloadavg()[0]
    return run


def format_startup(target: Target) -> str:
    times = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in target.startup.items())
    return f"start-up of {target.mode} (until each answered): {times or '–'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--levels", default="1,20,50")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per level")
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that checks the wiring")
    parser.add_argument(
        "--long", type=int, default=0, metavar="EVENTS", help="long conversations against new ones"
    )
    parser.add_argument("--long-conversations", type=int, default=5)
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}")
    levels = [1, 2] if args.smoke else [int(v) for v in args.levels.split(",")]
    turns, duration = (3, 60.0) if args.smoke else (args.turns, args.duration)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="load-", dir=BENCH_DIR))
    rows: list[Row] = []
    long_runs: list[LongRun] = []
    customers: list[LoadCustomer] = []
    for mode in sorted(modes, key=MODES.index):
        plan = f"long {args.long} events" if args.long else f"levels {levels}"
        print(f"== {mode}: {plan}, {turns} turns a conversation", flush=True)
        if mode == "embedded":
            context = embedded_target(scratch)
        elif mode == "scaled":
            context = scaled_target(scratch)
        else:
            fallback = [LoadCustomer("none", "10000")]
            context = baseline_target(scratch, customers or fallback)
        with context as target:
            print(format_startup(target), flush=True)
            customers = customers or target.customers
            if not args.long:
                rows += run_levels(target, levels, turns, duration, args.smoke)
            elif target.event_count is None:
                print(f"  --long skips {mode}: its tracker is not readable here", flush=True)
            else:
                run = run_long_mode(target, args.long, args.long_conversations, turns, duration)
                print(format_long(run), flush=True)
                long_runs.append(run)
    # Reached only when every stack ran: after a failure the services' logs stay.
    shutil.rmtree(scratch, ignore_errors=True)
    if args.long:
        failed = [r for run in long_runs for r in (run.long, run.new) if r.report().errors]
        return 0 if long_runs and not failed else 1
    print_table(rows)
    return 0 if rows and all(row.report.errors == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
