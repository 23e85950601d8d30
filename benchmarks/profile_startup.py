"""Where the Rasa server's start-up goes, until it answers: py-spy over ``rasa run``.

    nice -n 10 .venv/bin/python -m benchmarks.profile_startup [--out var/bench/profile]

Rasa takes minutes to answer where the console and the action server take seconds
(``benchmarks.load`` prints each). This starts the Rasa server alone, as the embedded stack
does (same command, environment and model, loopback ports, no action server needed to
load), under ``py-spy record``, stops sampling once its channel answers, prints the
seconds and the share of samples by phase of the start-up, and stops what it started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.load_stacks import BENCH_DIR, bench_settings
from benchmarks.profile_breakdown import is_idle, parse_raw
from benchmarks.profile_turns import PY_SPY_RATE, py_spy_binary
from concierge.rasa_endpoints import write_endpoints
from concierge.stack import Stack

# Phases of Rasa's start-up by the files in the stack, first match wins.
STARTUP_PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("MiniLM (TF BERT load, warm-up)", ("bot/components/minilm", "transformers/")),
    ("spaCy pipeline load", ("spacy/", "rasa/nlu/utils/spacy_utils.py")),
    (
        "TF models load (DIET, ResponseSelectors, TED)",
        (
            "rasa/nlu/classifiers/",
            "rasa/nlu/selectors/",
            "rasa/core/policies/ted",
            "rasa/utils/tensorflow/",
        ),
    ),
    ("other components load (bot/components, sklearn)", ("bot/components/", "sklearn/")),
    ("model unpack, graph, domain, validation", ("rasa/engine/", "rasa/model", "rasa/shared/")),
    ("imports (TensorFlow, Rasa, libraries)", ("<frozen importlib", "importlib")),
    ("other", ("",)),
)


def phase_of(stack: str) -> str:
    for name, needles in STARTUP_PHASES:
        if any(needle in stack for needle in needles):
            return name
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "profile")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="startup-", dir=BENCH_DIR))
    settings = bench_settings(scratch / "rasa")
    stack = Stack(settings, services=("rasa",))
    service = stack.services["rasa"]
    write_endpoints(settings)
    raw = args.out / "startup-rasa.txt"
    command = [py_spy_binary(), "record", "--subprocesses", "--rate", str(PY_SPY_RATE)]
    command += ["--format", "raw", "--output", str(raw), "--", *service.command]
    service.command = command
    began = time.monotonic()
    service.start()
    assert service.process is not None
    ready = None
    try:
        while time.monotonic() - began < args.timeout and service.exited() is None:
            if service.is_healthy():
                ready = time.monotonic() - began
                break
            time.sleep(0.25)
    finally:
        # SIGINT to py-spy alone: it stops sampling and writes its file; then the group ends.
        with contextlib.suppress(ProcessLookupError):
            os.kill(service.process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            service.process.wait(timeout=60)
        service.stop()
    if ready is None:  # the scratch directory stays: it holds Rasa's log
        print(f"Rasa did not answer within {args.timeout:.0f}s:\n{service.log_tail()}")
        return 1
    shutil.rmtree(scratch, ignore_errors=True)
    samples = parse_raw(raw.read_text(errors="replace").splitlines()) if raw.exists() else Counter()
    phases: Counter[str] = Counter()
    for stack_line, count in samples.items():
        phases["(idle)" if is_idle(stack_line) else phase_of(stack_line)] += count
    busy = sum(v for k, v in phases.items() if k != "(idle)")
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f}: Rasa answered after {ready:.1f} s under py-spy "
        f"({busy / PY_SPY_RATE:.1f} s of busy samples); raw stacks in {raw}\n"
    )
    print("| start-up phase | share of busy samples | seconds |\n|---|---|---|")
    for name, count in phases.most_common():
        if name != "(idle)":
            print(f"| {name} | {100 * count / busy:.0f}% | {count / PY_SPY_RATE:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
