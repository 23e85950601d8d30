"""What the action server costs per turn, and whether that grows with the conversation.

    nice -n 10 .venv/bin/python -m benchmarks.action_calls_record   # once: Rasa's real calls
    nice -n 10 .venv/bin/python -m benchmarks.action_calls [--rounds 10]
        [--recording var/bench/action_calls/recorded.json.gz] [--skip-http]

Replays the action calls Rasa made while one customer said the load benchmark's script
several times in one conversation (``benchmarks/action_calls_record.py``): the calls of the
first pass (trackers of 1-134 events, SHORT) against the same calls of the last pass (about
400-530 events, LONG), alternating, in one run:

1. over HTTP, to an action server started the way ``concierge.stack`` starts it (on a copy
   of ``var/concierge.db``): round-trip time per call and the server's CPU seconds;
2. in this process, through rasa_sdk's ``ActionExecutor``, with timers around the parts
   of a call (see ``benchmarks/action_call_parts.py``): JSON parsing, ``Tracker.from_dict``,
   the session-history write and its event scan, the frustration check, the promotion
   decision, and the rest of the action.

Each table shows SHORT, LONG and LONG/SHORT. The recorded answers are not compared here:
replaying writes to the store copy (turn counts, offers withheld), which is what a real
call does too.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.action_call_parts import PartTimers, run_in_process
from benchmarks.action_calls_record import DEFAULT_OUT
from benchmarks.load import cpu_seconds
from benchmarks.load_stacks import bench_settings
from concierge.settings import ROOT

Call = dict[str, Any]
VARIANTS = ("before", "after")


def load_passes(path: Path) -> tuple[list[Call], list[Call]]:
    """(first pass's calls, last pass's calls) of a recording, in the order Rasa made them."""
    if not path.exists():
        raise SystemExit(f"No recording at {path}: run `python -m benchmarks.action_calls_record`.")
    with gzip.open(path, "rt") as source:
        turns = json.load(source)["turns"]
    last = max(t["pass"] for t in turns)
    if last < 2:
        raise SystemExit("The recording has one pass; record at least two (--passes).")

    def calls(number: int) -> list[Call]:
        # The session start belongs to the chat's opening, not to a pass of the script.
        return [
            {**c, "turn": t["index"]}
            for t in turns
            if t["pass"] == number
            for c in t["calls"]
            if c["action"] != "action_session_start"
        ]

    short, long = calls(1), calls(last)
    if [c["action"] for c in short] != [c["action"] for c in long]:
        raise SystemExit("The first and last pass made different calls; record again.")
    return short, long


def copy_shop(var_dir: Path) -> str:
    """A private copy of the demo shop; its SQLAlchemy URL."""
    var_dir.mkdir(parents=True, exist_ok=True)
    target = var_dir / "concierge.db"
    with sqlite3.connect(ROOT / "var" / "concierge.db") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


async def _post_all(url: str, token: str, calls: list[Call]) -> list[float]:
    """Send each call as Rasa 3.6 does (a new HTTP session per call); seconds per call."""
    times = []
    for call in calls:
        body = json.dumps(call["request"]).encode()
        began = time.perf_counter()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", "X-Concierge-Action-Token": token},
            ) as answer,
        ):
            await answer.read()
            if answer.status != 200:
                raise SystemExit(f"{call['action']} answered {answer.status}")
        times.append(time.perf_counter() - began)
    return times


def _start_server(variant: str, scratch: Path) -> tuple[Any, Any]:
    """An action server started as ``concierge.stack`` starts it; ``before`` runs the
    server with issue 15's cuts undone (``benchmarks/action_server_before.py``)."""
    from concierge.stack import Stack

    settings = bench_settings(scratch / f"http-{variant}")
    copy_shop(settings.var_dir)
    stack = Stack(settings, services=("actions",))
    if variant == "before":
        command = stack.services["actions"].command
        command[command.index("actions")] = "benchmarks.action_server_before"
    stack.start(timeout=300)
    return stack, settings


def http_rounds(short: list[Call], long: list[Call], rounds: int, scratch: Path) -> dict[str, Any]:
    """Round trips and server CPU per pass for each variant and pass, alternating."""
    servers = {}
    try:
        for variant in VARIANTS:
            servers[variant] = _start_server(variant, scratch)
        for _stack, settings in servers.values():
            for _ in range(2):  # the first calls load the models (warm_up runs beside them)
                asyncio.run(_post_all(settings.action_url, settings.action_token, short + long))
        time.sleep(5)  # the warm-up's freeze follows its model loading
        times: dict[tuple[str, str], list[list[float]]] = defaultdict(list)
        cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
        for number in range(rounds):
            flip = number % 2 == 1
            for variant in VARIANTS[::-1] if flip else VARIANTS:
                stack, settings = servers[variant]
                pid = stack.services["actions"].process.pid
                for label in ("long", "short") if flip else ("short", "long"):
                    calls = short if label == "short" else long
                    before = cpu_seconds([pid])
                    times[variant, label].append(
                        asyncio.run(_post_all(settings.action_url, settings.action_token, calls))
                    )
                    cpu[variant, label].append(cpu_seconds([pid]) - before)
    finally:
        for stack, _ in servers.values():
            stack.stop()
    return {"times": times, "cpu": cpu}


def in_process_rounds(
    short: list[Call], long: list[Call], rounds: int, scratch: Path
) -> dict[tuple[str, str], PartTimers]:
    """Part timers per (variant, pass) from rasa_sdk's executor in this process, alternating.

    ``after`` is the code as it is, with the heap frozen after the warm-up as
    ``actions.server`` does; ``before`` undoes the cuts (``benchmarks/action_server_before``).
    """
    from benchmarks.action_server_before import redo_cuts, undo_cuts

    os.environ["CONCIERGE_DB_URL"] = copy_shop(scratch / "inproc")
    os.environ["CONCIERGE_VAR_DIR"] = str(scratch / "inproc")
    os.environ.setdefault("CONCIERGE_ARTIFACTS_DIR", str(ROOT / "var" / "artifacts"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    timers = {
        (variant, label): PartTimers(len(short))
        for variant in VARIANTS
        for label in ("short", "long")
    }
    warm = PartTimers(len(short) + len(long))
    run_in_process(short + long, warm)
    run_in_process(short + long, warm)
    gc.collect()
    for number in range(rounds):
        flip = number % 2 == 1
        for variant in VARIANTS[::-1] if flip else VARIANTS:
            if variant == "after":
                redo_cuts()
                gc.freeze()
            else:
                undo_cuts()
            for label in ("long", "short") if flip else ("short", "long"):
                run_in_process(short if label == "short" else long, timers[variant, label])
            gc.unfreeze()
    redo_cuts()
    return timers


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _ratio(short: float, long: float) -> str:
    return f"{long / short:.2f}" if short else "-"


def print_calls(short: list[Call], long: list[Call]) -> None:
    """Which actions each turn of the script calls, with the events each payload carried."""
    by_turn: dict[int, list[str]] = defaultdict(list)
    for s, lo in zip(short, long, strict=True):
        by_turn[s["turn"]].append(f"{s['action']} ({s['events']}/{lo['events']} events)")
    print(f"Action calls per pass of the script: {len(short)} (action_listen excluded)")
    for turn, names in sorted(by_turn.items()):
        print(f"  turn {turn:>2}: " + ", ".join(names))
    size = sum(c["bytes"] for c in short), sum(c["bytes"] for c in long)
    print(
        f"  request bytes per pass: SHORT {size[0]:,}, LONG {size[1]:,}"
        f" ({_ratio(*size)}x); domain alone {len(json.dumps(short[0]['request']['domain'])):,}"
    )


def print_http(short: list[Call], result: dict[str, Any]) -> None:
    times, cpu = result["times"], result["cpu"]
    for variant in VARIANTS:
        print(
            f"\nHTTP, {variant}, per call (median over rounds), ms:"
            " action | SHORT | LONG | LONG/SHORT"
        )
        per_call = {
            label: [
                statistics.median(r[i] for r in times[variant, label]) for i in range(len(short))
            ]
            for label in ("short", "long")
        }
        by_action: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
        for i, call in enumerate(short):
            by_action[call["action"]][0].append(per_call["short"][i])
            by_action[call["action"]][1].append(per_call["long"][i])
        for action, (s, lo) in sorted(by_action.items()):
            a, b = statistics.median(s), statistics.median(lo)
            print(f"  {action:<28} x{len(s):<2} | {_ms(a):>7} | {_ms(b):>7} | {_ratio(a, b)}")
    print("\nHTTP per pass (median over rounds), ms: variant | SHORT | LONG | LONG/SHORT")
    for variant in VARIANTS:
        tot = [statistics.median(sum(r) for r in times[variant, lb]) for lb in ("short", "long")]
        cpus = [statistics.median(cpu[variant, lb]) for lb in ("short", "long")]
        print(f"  {variant:<6} round trips  | {_ms(tot[0]):>7} | {_ms(tot[1]):>7} | {_ratio(*tot)}")
        print(
            f"  {variant:<6} server CPU   | {_ms(cpus[0]):>7} | {_ms(cpus[1]):>7} | {_ratio(*cpus)}"
        )


def print_parts(timers: dict[tuple[str, str], PartTimers]) -> None:
    for variant in VARIANTS:
        short, long = timers[variant, "short"], timers[variant, "long"]
        print(
            f"\nIn process, {variant}, per pass (mean over rounds), ms:"
            " part | SHORT | LONG | LONG/SHORT"
        )
        for part in short.names():
            a, b = short.per_pass(part), long.per_pass(part)
            print(f"  {part:<48} | {_ms(a):>7} | {_ms(b):>7} | {_ratio(a, b)}")
    for variant in VARIANTS:
        short, long = timers[variant, "short"], timers[variant, "long"]
        print(f"\nIn process, {variant}, whole call by action, ms per call: SHORT | LONG | L/S")
        for action in sorted(short.by_action):
            a, b = (t.by_action[action] / t.action_calls[action] for t in (short, long))
            print(f"  {action:<28} | {_ms(a):>7} | {_ms(b):>7} | {_ratio(a, b)}")
    print(
        "\nWhole call (JSON parse + executor + answer), per pass, ms: variant | SHORT | LONG | L/S"
    )
    for variant in VARIANTS:
        a, b = (timers[variant, label].whole_call() for label in ("short", "long"))
        print(f"  {variant:<8} | {_ms(a):>7} | {_ms(b):>7} | {_ratio(a, b)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recording", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--skip-http", action="store_true", help="only the in-process parts")
    args = parser.parse_args(argv)
    short, long = load_passes(args.recording)
    print_calls(short, long)
    with tempfile.TemporaryDirectory(prefix="action-calls-") as tmp:
        scratch = Path(tmp)
        if not args.skip_http:
            print_http(short, http_rounds(short, long, args.rounds, scratch))
        print_parts(in_process_rounds(short, long, args.rounds, scratch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
