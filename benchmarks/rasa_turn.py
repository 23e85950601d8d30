"""Where a turn's time goes inside the Rasa server, for a new and for a long conversation.

    cd /work/main && .venv-rasa/bin/python -m benchmarks.rasa_turn \
        [--model models/concierge.tar.gz] [--long-events 500] [--rounds 3] \
        [--profile /tmp/rasa_turn.prof] [--work-dir /tmp/rasa_turn] \
        [--one-cut ted|applied-events|rules|json|event-texts|store-count]

Runs in Rasa's environment (Python 3.10), in one process: it loads the trained model with
Rasa's ``Agent``, the tracker store the server uses (``bot.tracker_store.
DurableSQLTrackerStore`` on a SQLite file of its own) and a real action server (the main
environment's ``python -m actions`` on a free loopback port, on a copy of the demo shop's
database, stopped by its PID). The same guest conversation (:data:`SCRIPT`) is then sent
turn by turn to

- ``short``: a new sender each round (a tracker of ~0-60 events), and
- ``long``: one sender whose tracker was first filled to ``--long-events`` events by
  repeating the same conversation,

alternating, so both share the machine's load. Per-call timers wrap the parts of a turn
(NLU, each policy's prediction, tracker featurization, the tracker store's reads and
writes, the HTTP calls to the action server) for the measured turns only; the table gives
milliseconds per turn and the ratio long / short measured in the same run. ``--profile``
also writes a cProfile of the measured long turns.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.rasa_turn_timers import (
    APPLIED_EVENTS,
    CALL_FORMATS,
    PAST_STATES,
    REPLY_CHECKS,
    TRACKER_COPIES,
    Timers,
    instrument,
    keep_json_encoders,
    time_call_formats,
    time_garbage_collection,
    time_reply_checks,
    time_rule_lookups,
    time_shared_past_states,
    time_tracker_copies,
    use_json_encoder,
    use_known_stored_events,
    use_rule_lookup,
)
from bot.turn_speedups import freeze_loaded_objects

VARIANTS = ("before", "after")
ROOT = Path(__file__).resolve().parents[1]
MAIN_PYTHON = ROOT / ".venv" / "bin" / "python"
TOKEN_HEADER = "X-Concierge-Action-Token"

# A guest's conversation with the demo shop: greeting, FAQ, an order question (answered
# with an order number and then an e-mail), products and recommendations, chit-chat, bye.
SCRIPT: tuple[str, ...] = (
    "hi",
    "how are you?",
    "how much does shipping cost?",
    "how long does delivery take?",
    "what is your return policy?",
    "what would you recommend",
    "what's popular right now",
    "red lamp under 20",
    "where is my order 10000?",
    "peter.holmes@example.com",
    "which payment methods do you accept?",
    "are you a bot?",
    "thanks!",
    "bye",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def action_server(work_dir: Path, token: str) -> Iterator[str]:
    """The project's action server on a copy of the demo shop; yields its webhook URL."""
    database = work_dir / "concierge.db"
    database.unlink(missing_ok=True)
    # SQLite's backup API: a consistent copy even while the demo database is in use (WAL).
    with (
        sqlite3.connect(ROOT / "var" / "concierge.db") as source,
        sqlite3.connect(database) as copy,
    ):
        source.backup(copy)
    port = free_port()
    env = dict(
        os.environ,
        CONCIERGE_VAR_DIR=str(work_dir),
        CONCIERGE_DB_URL=f"sqlite:///{database}",
        CONCIERGE_ARTIFACTS_DIR=str(ROOT / "var" / "artifacts"),
        CONCIERGE_ACTION_TOKEN=token,
        ACTION_HOST="127.0.0.1",
        SANIC_HOST="127.0.0.1",
        ACTION_PORT=str(port),
        ACTION_METRICS_PORT="0",
        HF_HUB_OFFLINE="1",
        CONCIERGE_DEMO="0",
    )
    log = open(work_dir / "actions.log", "ab")  # noqa: SIM115 - closed below
    command = [str(MAIN_PYTHON), "-m", "actions", "--actions", "actions", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the action server exited; see {work_dir / 'actions.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the action server did not answer within 180 s") from None
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


async def load_agent(model: Path, tracker_db: Path, action_url: str, token: str) -> Any:
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    from bot.tracker_store import DurableSQLTrackerStore

    store = DurableSQLTrackerStore(dialect="sqlite", db=str(tracker_db))
    endpoint = EndpointConfig(url=action_url, headers={TOKEN_HEADER: token})
    return Agent.load(str(model), tracker_store=store, action_endpoint=endpoint)


async def say(agent: Any, sender: str, text: str) -> list[dict[str, Any]]:
    return await agent.handle_text(text, sender_id=sender)


async def stored(agent: Any, sender: str) -> Any:
    """The conversation as the database holds it (the store's kept trackers untouched)."""
    from rasa.core.tracker_store import SQLTrackerStore

    return await SQLTrackerStore.retrieve(agent.tracker_store._tracker_store, sender)


async def events_of(agent: Any, sender: str) -> int:
    tracker = await stored(agent, sender)
    return len(tracker.events) if tracker else 0


async def fill(agent: Any, sender: str, events: int) -> int:
    """Repeat the script for ``sender`` until its tracker holds ``events`` events."""
    while (count := await events_of(agent, sender)) < events:
        for text in SCRIPT:
            await say(agent, sender, text)
    return count


def prepare_turn(agent: Any, sender: str, variant: str, one_cut: str = "") -> None:
    """``before``: Rasa's own behaviour; ``after``: with this project's cuts.

    Before: the conversation is read from the database, the action server's reply is checked
    by Rasa's ``_validate_action_result`` and the loaded model is swept by every full garbage
    collection. After: bot/tracker_store.py keeps the conversation between turns and
    bot/turn_speedups.py builds the reply check once, keeps the model out of the sweeps,
    lets the policies share the dialogue's states, copies the tracker for each action
    without replaying its events, bot/action_payload.py sends earlier messages to the
    action server without the parse data no action reads (each event's JSON written once), bot/deferred_policies.py asks
    TED only when its prediction could be chosen, bot/rule_lookup.py stops RulePolicy's
    walk through the conversation once no rule reaches further back, and the requests to
    the action server are encoded by ujson (bot/action_payload.py).

    With ``one_cut`` (``--one-cut``), both variants carry every cut but that one, which only
    ``after`` carries: the cut measured alone.
    """
    import gc

    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import deferred_policies  # imports Rasa

    if one_cut:
        prepare_turn(agent, sender, "after")
        use_known_stored_events(True)
        if variant == "before" and one_cut == "ted":
            deferred_policies.deferring = False
        elif variant == "before" and one_cut == "rules":
            use_rule_lookup("before")
        elif variant == "before" and one_cut == "json":
            use_json_encoder("before")
        elif variant == "before" and one_cut == "event-texts":
            RemoteAction._action_call_format = CALL_FORMATS["reduced each call"]
        elif variant == "before" and one_cut == "store-count":
            use_known_stored_events(False)
        elif variant == "before":  # applied-events
            DialogueStateTracker.applied_events = APPLIED_EVENTS["before"]
        return
    if variant == "before":
        agent.tracker_store._tracker_store.recent.forget(sender)  # inside FailSafeTrackerStore
        RemoteAction._validate_action_result = REPLY_CHECKS["before"]
        DialogueStateTracker.past_states = PAST_STATES["before"]
        DialogueStateTracker.applied_events = APPLIED_EVENTS["before"]
        DialogueStateTracker.copy = TRACKER_COPIES["before"]
        RemoteAction._action_call_format = CALL_FORMATS["before"]
        deferred_policies.deferring = False
        use_rule_lookup("before")
        use_json_encoder("before")
        gc.unfreeze()
    else:
        RemoteAction._validate_action_result = REPLY_CHECKS["after"]
        DialogueStateTracker.past_states = PAST_STATES["after"]
        DialogueStateTracker.applied_events = APPLIED_EVENTS["after"]
        DialogueStateTracker.copy = TRACKER_COPIES["after"]
        RemoteAction._action_call_format = CALL_FORMATS["after"]
        deferred_policies.deferring = True
        use_rule_lookup("after")
        use_json_encoder("after")
        gc.freeze()  # what freeze_loaded_objects did once the model was loaded


async def actions_of(agent: Any, sender: str, since: int) -> list[str]:
    from rasa.shared.core.events import ActionExecuted

    tracker = await stored(agent, sender)
    events = list(tracker.events)[since:] if tracker else []
    return [e.action_name for e in events if isinstance(e, ActionExecuted)]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    tracker_db = work_dir / "tracker.db"
    tracker_db.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    with action_server(work_dir, token) as url:
        timers = Timers()
        time_garbage_collection(timers)
        instrument(timers)  # before loading: the graph binds the policies' methods then
        # TED's timer now counts only the predictions made (both variants), from the ensemble.
        from bot.deferred_policies import ask_ted_only_when_it_could_win  # imports Rasa

        ask_ted_only_when_it_could_win()
        time_shared_past_states(timers)
        time_tracker_copies(timers)
        time_call_formats(timers)
        time_rule_lookups(timers)
        keep_json_encoders()
        agent = await load_agent(Path(args.model), tracker_db, url, token)
        time_reply_checks(timers)
        freeze_loaded_objects()  # as the concierge channel does once the server started
        await fill(agent, "warm-up", 1)  # TensorFlow's first calls, caches, connections
        long_events = min(
            [await fill(agent, f"long-{variant}", args.long_events) for variant in VARIANTS]
        )
        cells = [(kind, variant) for kind in ("short", "long") for variant in VARIANTS]
        seconds: dict[tuple[str, str], dict[str, float]] = {c: defaultdict(float) for c in cells}
        calls: dict[tuple[str, str], dict[str, int]] = {c: defaultdict(int) for c in cells}
        turns = {cell: 0 for cell in cells}
        actions: dict[tuple[str, str], list[list[str]]] = {cell: [] for cell in cells}
        profiler = cProfile.Profile() if args.profile else None
        for round_ in range(args.rounds):
            senders = {
                (kind, variant): f"{kind}-{variant}" + (f"-{round_}" if kind == "short" else "")
                for kind, variant in cells
            }
            starts = {cell: await events_of(agent, senders[cell]) for cell in cells}
            # Turn by turn, the four conversations alternate, so they share the machine's load.
            for text in SCRIPT:
                for kind, variant in cells:
                    prepare_turn(agent, senders[(kind, variant)], variant, args.one_cut)
                    profiling = profiler if (kind, variant) == ("long", VARIANTS[-1]) else None
                    timers.reset()
                    timers.on = True
                    if profiling:
                        profiling.enable()
                    await say(agent, senders[(kind, variant)], text)
                    if profiling:
                        profiling.disable()
                    timers.on = False
                    turns[(kind, variant)] += 1
                    for label, spent in timers.seconds.items():
                        seconds[(kind, variant)][label] += spent
                        calls[(kind, variant)][label] += timers.calls[label]
            for cell in cells:
                actions[cell].append(await actions_of(agent, senders[cell], starts[cell]))
        if profiler:
            profiler.dump_stats(args.profile)
        return {
            "long_events_start": long_events,
            "long_events_end": await events_of(agent, f"long-{VARIANTS[0]}"),
            "turns": turns,
            "seconds": seconds,
            "calls": calls,
            "same_actions": {
                kind: actions[(kind, VARIANTS[0])] == actions[(kind, VARIANTS[1])]
                for kind in ("short", "long")
            },
        }


def table(results: dict[str, Any]) -> str:
    turns, seconds, calls = results["turns"], results["seconds"], results["calls"]

    def ms(cell: tuple[str, str], label: str) -> float:
        return 1000 * seconds[cell].get(label, 0.0) / max(turns[cell], 1)

    base = ("short", VARIANTS[0])
    labels = sorted(
        {label for cell in seconds for label in seconds[cell]},
        key=lambda x: -ms(("long", VARIANTS[0]), x),
    )
    labels.sort(key=lambda label: 0 if label.startswith("turn") else 1)
    cells = list(seconds)
    head = " | ".join(f"{kind} {variant}" for kind, variant in cells)
    lines = [
        f"long tracker: {results['long_events_start']} events at the start, "
        f"{results['long_events_end']} at the end; {turns[base]} turns in each column; "
        f"ms per turn (calls per turn)",
        f"same actions before/after: short {results['same_actions']['short']}, "
        f"long {results['same_actions']['long']}",
        "",
        f"| part | {head} | long/short before | long/short after |",
        "|---|" + "---:|" * (len(cells) + 2),
    ]
    for label in labels:
        row = []
        for cell in cells:
            per_turn = calls[cell].get(label, 0) / max(turns[cell], 1)
            row.append(f"{ms(cell, label):.1f} ({per_turn:.1f})")
        ratios = []
        for variant in VARIANTS:
            short = ms(("short", variant), label)
            ratios.append(f"{ms(('long', variant), label) / short:.2f}" if short > 0 else "-")
        lines.append(f"| {label} | " + " | ".join(row + ratios) + " |")
    return "\n".join(lines)


def quiet() -> None:
    """Rasa's debug logs would be most of a turn's time; the server runs at INFO."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "concierge.tar.gz"))
    parser.add_argument("--long-events", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="")
    parser.add_argument("--work-dir", default="/tmp/rasa_turn")
    parser.add_argument(
        "--one-cut",
        choices=["ted", "applied-events", "rules", "json", "event-texts", "store-count"],
        default="",
        help="measure one cut alone: both columns carry every other cut",
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    quiet()
    results = asyncio.run(measure(args))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
