"""Where one turn's CPU goes, by component, in short and in long conversations.

    nice -n 10 .venv/bin/python -m benchmarks.profile_turns [--conversations 4]
        [--rounds 20] [--events 500] [--turns 12] [--out var/bench/profile]

Starts the embedded stack (``benchmarks/load_stacks.py``, its start-up times printed),
then profiles two phases of the same closed-loop load with py-spy attached to the Rasa
server, the action server and the console (their forked workers included):

- ``short``: ``--conversations`` new chats at once, each renewed after ``--turns`` turns;
- ``long``: as many chats first grown (not profiled) until Rasa's tracker store holds
  ``--events`` events for each, then driven the same way.

Both phases send the same lines of the same script. The CPU-seconds each process used
(from /proc, all its threads) are divided by the turns answered, and split by the share of
py-spy's samples each component has in that process (``benchmarks/profile_breakdown.py``).
py-spy sees Python threads only: CPU that TensorFlow's or BLAS's own native threads use is
in the process's total and shown apart (``native threads``), not split by component.
py-spy is a profiler for this benchmark, not a dependency: ``.venv/bin/pip install py-spy``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load import cpu_seconds, format_startup
from benchmarks.load_long import ChatGroup, grow
from benchmarks.load_stacks import BENCH_DIR, Target, embedded_target
from benchmarks.profile_breakdown import (
    COMPONENTS,
    DETAILS,
    IDLE,
    details,
    parse_raw,
    read_breakdown,
    top_functions,
)
from tests.support.load_client import ANSWERED, CUSTOMER_SCRIPT, run_load

SERVICES = ("rasa", "actions", "console")
PY_SPY_RATE = 100  # samples a second; each sample of a busy thread stands for 10 ms


@dataclass
class Phase:
    """One profiled phase: turns, their latencies, each process's CPU and py-spy's samples."""

    name: str
    turns: int = 0
    latencies: list[float] = field(default_factory=list)
    events_at_start: tuple[int, int] = (0, 0)
    cpu: dict[str, float] = field(default_factory=dict)  # per service, all threads
    main_thread_cpu: dict[str, float] = field(default_factory=dict)  # Python-visible share
    threads: dict[str, dict[str, float]] = field(default_factory=dict)  # CPU by thread name
    samples: dict[str, Counter[str]] = field(default_factory=dict)
    raw_files: dict[str, Path] = field(default_factory=dict)

    def cpu_ms_per_turn(self, service: str) -> float:
        return 1000 * self.cpu.get(service, 0.0) / self.turns if self.turns else 0.0


def py_spy_binary() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: run `.venv/bin/pip install py-spy` first.")
    return found


PYTHON_THREADS = "python threads"


def _comm(stat: str) -> str:
    return stat[stat.index("(") + 1 : stat.rindex(")")]


def tree_pids(root: int) -> list[int]:
    """``root`` and every process descended from it (a Sanic worker, say)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    found, grown = {root}, True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in found} - found
        found |= children
        grown = bool(children)
    return sorted(found)


def thread_cpu(root: int) -> dict[str, float]:
    """CPU-seconds of the threads under ``root`` since they started, by thread name.

    Threads Python starts keep their process's name (summed as ``python threads``);
    TensorFlow's and BLAS's pools name theirs, which py-spy cannot sample.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    result: dict[str, float] = {}
    for pid in tree_pids(root):
        try:
            process = _comm(Path(f"/proc/{pid}/stat").read_text())
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                stat = (task / "stat").read_text()
            except OSError:
                continue
            name = PYTHON_THREADS if _comm(stat) == process else _comm(stat)
            fields = stat.rsplit(")", 1)[1].split()
            result[name] = result.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return result


def start_py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` and its children until it is sent SIGINT."""
    command = [
        py_spy_binary(),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--rate",
        str(PY_SPY_RATE),
        "--format",
        "raw",
        "--output",
        str(out),
    ]
    log = open(out.with_suffix(".log"), "wb")  # noqa: SIM115 - closed when the process ends
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_py_spy(process: subprocess.Popen[bytes]) -> None:
    """SIGINT makes py-spy stop and write its file; killed (by its own PID) if it hangs."""
    os.kill(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


async def drive(group: ChatGroup, position: int, rounds: int) -> int:
    """``rounds`` rounds of ``group`` from script line ``position``; the next position."""
    for _ in range(rounds):
        await group.say_round(position)
        position += 1
    return position


async def profile_phase(
    phase: Phase, group: ChatGroup, target: Target, out: Path, rounds: int, position: int
) -> int:
    """Drive ``group`` ``rounds`` rounds under py-spy; fill ``phase``; next position.

    Rounds, not seconds: both phases then send the same script lines, whatever their speed.
    """
    pids = target.service_pids()
    before_cpu = {name: cpu_seconds([pid]) for name, pid in pids.items()}
    before_threads = {name: thread_cpu(pid) for name, pid in pids.items()}
    marks = {id(c.record): len(c.record.turns) for c, _ in group.chats}
    spies = {}
    for name, pid in pids.items():
        phase.raw_files[name] = out / f"{phase.name}-{name}.txt"
        spies[name] = start_py_spy(pid, phase.raw_files[name])
    try:
        await asyncio.sleep(1.0)  # py-spy attaches before the load begins
        position = await drive(group, position, rounds)
    finally:
        for spy in spies.values():
            await asyncio.to_thread(stop_py_spy, spy)
    for name, pid in pids.items():
        phase.cpu[name] = cpu_seconds([pid]) - before_cpu[name]
        after = thread_cpu(pid)
        phase.threads[name] = {
            t: after[t] - before_threads[name].get(t, 0.0)
            for t in after
            if after[t] - before_threads[name].get(t, 0.0) > 0.005
        }
        phase.main_thread_cpu[name] = phase.threads[name].get(PYTHON_THREADS, 0.0)
        phase.samples[name] = read_breakdown(phase.raw_files[name], name)
    turns = [t for r in group.all_records for t in r.turns[marks.get(id(r), 0) :] if t.latency]
    phase.turns = sum(t.outcome == ANSWERED for t in turns)
    phase.latencies = sorted(t.latency for t in turns if t.outcome == ANSWERED and t.latency)
    return position


def _pct(values: list[float], p: float) -> str:
    if not values:
        return "–"
    return f"{values[min(len(values) - 1, int(len(values) * p / 100))] * 1000:.0f}"


def component_rows(phases: list[Phase]) -> list[str]:
    """Markdown rows: CPU ms per turn and share of the turn's CPU, per component and phase."""
    header = "| service | component | " + " | ".join(
        f"{p.name} ms/turn | {p.name} % of turn" for p in phases
    )
    lines = [header + " |", "|" + "---|" * (2 + 2 * len(phases))]
    totals = {p.name: sum(p.cpu_ms_per_turn(s) for s in SERVICES) for p in phases}
    for service in SERVICES:
        names = [name for name, _ in COMPONENTS[service]] + ["native threads (not sampled)"]
        for component in names:
            cells = []
            for p in phases:
                ms = _component_ms(p, service, component)
                share = 100 * ms / totals[p.name] if totals[p.name] else 0.0
                cells += [f"{ms:.1f}", f"{share:.1f}"]
            lines.append(f"| {service} | {component} | " + " | ".join(cells) + " |")
        cells = []
        for p in phases:
            ms = p.cpu_ms_per_turn(service)
            cells += [
                f"**{ms:.1f}**",
                f"**{100 * ms / totals[p.name]:.1f}**" if totals[p.name] else "–",
            ]
        lines.append(f"| {service} | **all** | " + " | ".join(cells) + " |")
    return lines


def _component_ms(phase: Phase, service: str, component: str) -> float:
    """The process's CPU per turn split by sample share; native threads are what py-spy
    cannot see: the process's CPU beyond its Python threads' (main thread) CPU."""
    total_ms = phase.cpu_ms_per_turn(service)
    python_ms = min(total_ms, 1000 * phase.main_thread_cpu.get(service, 0.0) / max(phase.turns, 1))
    if component == "native threads (not sampled)":
        return total_ms - python_ms
    samples = phase.samples.get(service, Counter())
    count = sum(n for name, n in samples.items() if name != IDLE)
    return python_ms * samples.get(component, 0) / count if count else 0.0


def detail_lines(phases: list[Phase]) -> list[str]:
    """Inside the components the issue's candidates touch: each part's share, per phase."""
    lines = []
    for service, component, labels in DETAILS:
        parts = []
        for p in phases:
            path = p.raw_files.get(service)
            raw = path.read_text(errors="replace").splitlines() if path and path.exists() else []
            split = details(parse_raw(raw), service, component, labels)
            total = sum(split.values())
            shares = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in split.items() if total)
            parts.append(f"{p.name}: {shares or '–'}")
        lines.append(f"{service} / {component} — " + "; ".join(parts))
    return lines


def summary_rows(phases: list[Phase]) -> list[str]:
    lines = [
        "| phase | tracker events at start | turns answered | p50 ms | p95 ms "
        "| stack CPU ms/turn | rasa | actions | console |",
        "|" + "---|" * 9,
    ]
    for p in phases:
        low, high = p.events_at_start
        per = [p.cpu_ms_per_turn(s) for s in SERVICES]
        lines.append(
            f"| {p.name} | {low}–{high} | {p.turns} | {_pct(p.latencies, 50)} "
            f"| {_pct(p.latencies, 95)} | {sum(per):.0f} | "
            + " | ".join(f"{v:.0f}" for v in per)
            + " |"
        )
    return lines


async def run_phases(target: Target, phases: list[Phase], args: argparse.Namespace) -> None:
    """The short phase, the growth of the long chats, the long phase: one event loop."""
    assert target.event_count is not None
    customers = target.customers

    def orders(i: int) -> str:
        return customers[i % len(customers)].order_number

    numbers = itertools.count()
    short = ChatGroup(target.make_chat, numbers, args.conversations, args.turns)
    long = ChatGroup(target.make_chat, numbers, args.conversations, None)
    try:
        await short.open(orders)
        position = await profile_phase(phases[0], short, target, args.out, args.rounds, 0)
        await short.close()
        await long.open(orders)
        began = time.monotonic()
        sizes, grown_to = await grow(long, target.event_count, args.events, position)
        print(
            f"grew {len(sizes)} chats to {min(sizes)}–{max(sizes)} events in "
            f"{grown_to - position} rounds, {time.monotonic() - began:.0f} s",
            flush=True,
        )
        phases[1].events_at_start = (min(sizes), max(sizes))
        # Start where the short phase started in the script, so both send the same lines.
        aligned = -(-grown_to // len(CUSTOMER_SCRIPT)) * len(CUSTOMER_SCRIPT)
        await profile_phase(phases[1], long, target, args.out, args.rounds, aligned)
    finally:
        await short.close()
        await long.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument(
        "--rounds", type=int, default=20, help="rounds per phase (20: the script once)"
    )
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--turns", type=int, default=12, help="turns before a short chat renews")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "profile")
    args = parser.parse_args(argv)
    py_spy_binary()
    args.out.mkdir(parents=True, exist_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="profile-", dir=BENCH_DIR))
    phases = [Phase("short"), Phase("long")]
    with embedded_target(scratch) as target:
        print(format_startup(target), flush=True)
        warm_up = ["hi", "thanks!"]
        asyncio.run(run_load(target.make_chat, lambda n: warm_up, concurrency=1, conversations=1))
        asyncio.run(run_phases(target, phases, args))
    shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f}, {os.cpu_count()} cores; raw stacks in {args.out}/\n"
    )
    print("\n".join(summary_rows(phases)) + "\n")
    print("\n".join(component_rows(phases)) + "\n")
    print("\n".join(detail_lines(phases)) + "\n")
    for p in phases:
        for service, threads in p.threads.items():
            busy = sorted(threads.items(), key=lambda kv: -kv[1])[:6]
            print(
                f"threads, {service}, {p.name} (CPU-s): "
                + ", ".join(f"{t} {v:.2f}" for t, v in busy)
            )
    for prefix in ("rasa/", "bot/", "actions/", "sqlalchemy/"):
        for p in phases:
            service = "actions" if prefix in ("actions/", "sqlalchemy/") else "rasa"
            top = top_functions(p.raw_files[service], prefix, 6)
            print(
                f"top {prefix} frames, {service}, {p.name}: "
                + "; ".join(f"{name} {count}" for name, count in top)
            )
    return 0 if all(p.turns for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
