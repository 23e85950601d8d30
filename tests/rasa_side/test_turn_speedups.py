"""The per-turn cuts of bot/turn_speedups.py keep Rasa's behaviour (issue 15)."""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.channels.concierge_rest import ConciergeRestInput
from bot.turn_speedups import check_action_replies_with_one_validator, freeze_loaded_objects

RASAS_OWN_CHECK = RemoteAction.__dict__["_validate_action_result"]

REPLIES: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "order_number", "value": "10000", "timestamp": None},
            {"event": "active_loop", "name": None},
            {"event": "followup", "name": "action_listen"},
        ],
        "responses": [{"text": "Your order is on its way.", "buttons": []}],
    },
    {"events": [{"event": "slot", "name": "shown_products", "value": ["a", "b"]}]},
    {"events": [{"event": "not_an_event"}], "responses": []},
    {"events": [{"name": "order_number", "value": "1"}], "responses": []},
    {"events": "slot", "responses": []},
    {"events": [], "responses": [{"text": 3}]},
]


def _outcome(check: Any, reply: dict[str, Any]) -> tuple[bool, str]:
    try:
        return bool(check(RemoteAction("action_x", None), reply)), ""
    except ValidationError as error:
        return False, error.message


@pytest.mark.parametrize("reply", REPLIES)
def test_action_replies_are_accepted_and_refused_as_rasa_does(reply: dict[str, Any]) -> None:
    expected = _outcome(RASAS_OWN_CHECK, reply)
    check_action_replies_with_one_validator()

    assert _outcome(RemoteAction._validate_action_result, reply) == expected


def test_some_replies_are_refused_with_rasas_message() -> None:
    check_action_replies_with_one_validator()
    refused = [_outcome(RemoteAction._validate_action_result, r) for r in REPLIES]

    assert [ok for ok, _ in refused].count(False) >= 3
    assert all("Failed to validate Action server response" in m for ok, m in refused if not ok)


def test_checking_a_reply_no_longer_rechecks_the_schema() -> None:
    check_action_replies_with_one_validator()
    action = RemoteAction("action_x", None)

    def per_call(check: Any) -> float:
        start = time.perf_counter()
        for _ in range(10):
            check(action, REPLIES[1])
        return (time.perf_counter() - start) / 10

    # A ratio in one run, not a timing: the schema's own check is most of Rasa's cost.
    assert per_call(RemoteAction._validate_action_result) < per_call(RASAS_OWN_CHECK) / 3


def test_the_channel_installs_the_check_and_freezes_once_the_server_started() -> None:
    RemoteAction._validate_action_result = RASAS_OWN_CHECK
    webhook = ConciergeRestInput(secret="s3cret").blueprint(lambda message: None)

    assert RemoteAction._validate_action_result is not RASAS_OWN_CHECK
    events = [listener.event for listener in webhook._future_listeners]
    assert "after_server_start" in events


def test_freezing_exempts_the_objects_alive_now_from_collections() -> None:
    kept = [object() for _ in range(1000)]
    try:
        frozen = freeze_loaded_objects()
        assert frozen >= len(kept)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def _conversation(domain: Any) -> Any:
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("web-1", domain.slots)
    events = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hi", {"name": "greet", "confidence": 0.99}),
        ActionExecuted("action_greet"),
        BotUttered("Hello!"),
        ActionExecuted("action_listen"),
        UserUttered("where is my order", {"name": "order_status", "confidence": 0.9}),
        ActionExecuted("order_status_form"),
        ActiveLoop("order_status_form"),
        SlotSet("requested_slot", "order_number"),
        ActionExecuted("action_listen"),
        UserUttered(
            "10000",
            {"name": "inform", "confidence": 0.8},
            [{"entity": "order_number", "value": "10000", "start": 0, "end": 5}],
        ),
        ActionExecuted("order_status_form"),
        SlotSet("order_number", "10000"),
        SlotSet("faq_pending", True),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ActionExecuted("action_order_status"),
        BotUttered("It's on its way."),
        ActionExecuted("action_listen"),
        UserUttered("and shipping?", {"name": "faq", "confidence": 0.95}),
    ]
    for event in events:
        yield tracker, event


@pytest.mark.parametrize("ignore_rule_only_turns", [False, True])
@pytest.mark.parametrize("rule_only_data", [None, {"slots": ["faq_pending"], "loops": []}])
def test_shared_past_states_are_rasas_at_every_step_of_a_conversation(
    ignore_rule_only_turns: bool, rule_only_data: dict[str, Any] | None
) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import turn_speedups

    domain = Domain.load("bot/domain")
    turn_speedups.share_past_states_between_policies()
    rasas_own = turn_speedups._rasas_past_states
    assert DialogueStateTracker.past_states is not rasas_own
    steps = 0
    for tracker, event in _conversation(domain):
        tracker.update(event, domain)
        expected = rasas_own(tracker, domain, False, ignore_rule_only_turns, rule_only_data)
        first = tracker.past_states(domain, False, ignore_rule_only_turns, rule_only_data)
        first[-1].clear()  # callers edit what they get (the featurizers delete keys)
        again = tracker.past_states(domain, False, ignore_rule_only_turns, rule_only_data)
        assert again == expected
        steps += 1
    assert steps > 20 and len(expected) >= 6
