"""``benchmarks.action_calls`` replays recorded calls through the real executor and store.

No timing is asserted: these tests hold that a recording is read as the benchmark expects
(first and last pass, the chat's session start left out) and that the in-process replay
runs every call through rasa_sdk's executor with the part timers filled in.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.action_call_parts import PARSE, RUN, PartTimers, run_in_process
from benchmarks.action_calls import load_passes
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import SENDER, load_domain, tracker, user


def call(action: str, customer: Customer, text: str, intent: str) -> dict[str, Any]:
    """A call as Rasa 3.6 sends it: next action, tracker state, domain."""
    state = tracker(
        slots={"customer_id": str(customer.id), "customer_name": "Anna"},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.97}},
        events=[{"event": "session_started"}, user(text, intent)],
    ).current_state()
    request = {
        "next_action": action,
        "sender_id": SENDER,
        "tracker": state,
        "domain": load_domain(),
        "version": "3.6.21",
    }
    return {"action": action, "events": len(state["events"]), "bytes": 0, "request": request}


def write_recording(path: Path, passes: list[list[dict[str, Any]]]) -> None:
    turns = [{"pass": 0, "index": -1, "text": "(chat start)", "calls": []}]
    for number, calls in enumerate(passes, start=1):
        turns += [{"pass": number, "index": 0, "text": "hi", "calls": calls}]
    with gzip.open(path, "wt") as out:
        json.dump({"turns": turns}, out)


def test_replay_runs_each_recorded_call_through_the_executor(
    shop: Shop, anna: Customer, tmp_path: Path
) -> None:
    greet = call("action_greet", anna, "hi", "greet")
    session_start = call("action_session_start", anna, "hi", "greet")
    recording = tmp_path / "recorded.json.gz"
    write_recording(recording, [[session_start, greet], [greet], [greet]])

    short, long = load_passes(recording)
    assert [c["action"] for c in short] == ["action_greet"] == [c["action"] for c in long]

    timers = PartTimers(len(short))
    run_in_process(short, timers)
    assert timers.passes == 1
    assert dict(timers.action_calls) == {"action_greet": 1}
    assert timers.seconds[PARSE] > 0 and timers.seconds[RUN] > 0


def test_a_recording_whose_passes_differ_is_refused(
    shop: Shop, anna: Customer, tmp_path: Path
) -> None:
    recording = tmp_path / "recorded.json.gz"
    write_recording(
        recording,
        [
            [call("action_greet", anna, "hi", "greet")],
            [call("action_goodbye", anna, "bye", "goodbye")],
        ],
    )
    with pytest.raises(SystemExit, match="different calls"):
        load_passes(recording)
