"""The per-turn cuts of bot/turn_speedups.py keep Rasa's behaviour (issue 15)."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.channels.concierge_rest import ConciergeRestInput
from bot.turn_speedups import check_action_replies_with_one_validator, freeze_loaded_objects

ROOT_DIR = Path(__file__).resolve().parents[2]
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
def test_shared_past_states_are_rasas_at_every_step_of_every_conversation(
    ignore_rule_only_turns: bool, rule_only_data: dict[str, Any] | None
) -> None:
    """The states carried on from the last turn are the states Rasa replays from scratch,
    after every event of the test stories and of a turn that goes wrong (rewinds, a
    rejected form, a restart), and what a caller changes does not leak into the next turn."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import turn_speedups

    domain = Domain.load("bot/domain")
    turn_speedups.share_past_states_between_policies()
    rasas_own = turn_speedups._rasas_past_states
    assert DialogueStateTracker.past_states is not rasas_own
    steps = 0
    # Asked after every event, and (as in a server, where a turn appends several) after
    # every few events only.
    for events, every in [(e, n) for e in _conversations(domain) for n in (1, 3, 7)]:
        tracker = DialogueStateTracker("web-1", domain.slots)
        for index, event in enumerate(events):
            tracker.update(event, domain)
            if index % every and index != len(events) - 1:
                continue
            expected = rasas_own(tracker, domain, False, ignore_rule_only_turns, rule_only_data)
            first = tracker.past_states(domain, False, ignore_rule_only_turns, rule_only_data)
            if first:
                first[-1].clear()  # callers edit what they get (the featurizers delete keys)
                first[0].clear()
            again = tracker.past_states(domain, False, ignore_rule_only_turns, rule_only_data)
            assert again == expected
            steps += 1
    assert steps > 1500


def test_applied_events_are_rasas_at_every_step_and_each_caller_gets_its_own_list() -> None:
    """Carried on after every event, or after every few (a turn appends several), through
    rewinds, restarts, sessions and forms, and from scratch when a loop shows up late."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import turn_speedups

    domain = Domain.load("bot/domain")
    turn_speedups.share_past_states_between_policies()
    rasas_own = turn_speedups._rasas_applied_events
    # A form's step before any ActiveLoop names it: once one does, Rasa reads it differently.
    late_loop = [
        ActionExecuted("return_form"),
        ActionExecuted("action_listen"),
        ActionExecuted("return_form"),
        ActiveLoop("return_form"),
        ActionExecuted("return_form"),
    ]
    steps = 0
    for events, every in [(e, n) for e in [*_conversations(domain), late_loop] for n in (1, 3)]:
        tracker = DialogueStateTracker("web-1", domain.slots)
        for index, event in enumerate(events):
            tracker.update(event, domain)
            if index % every and index != len(events) - 1:
                continue
            first = tracker.applied_events()
            expected = rasas_own(tracker)
            assert len(first) == len(expected)
            assert all(got is wanted for got, wanted in zip(first, expected, strict=True))
            first.clear()
            assert tracker.applied_events() == expected
            steps += 1
    assert steps > 1500


def _rasas_copy(tracker: Any) -> Any:
    """``DialogueStateTracker.copy`` as Rasa 3.6 defines it: replay every event."""
    return tracker.travel_back_in_time(float("inf"))


def _state(tracker: Any) -> dict[str, Any]:
    import dataclasses

    from rasa.shared.core.trackers import EventVerbosity

    return {
        "events": list(tracker.events),
        "slots": {n: (s.value, s.has_been_set) for n, s in tracker.slots.items()},
        "loop": dataclasses.asdict(tracker.active_loop) if tracker.active_loop else None,
        "paused": tracker.is_paused(),
        "followup": tracker.followup_action,
        "latest_action": tracker.latest_action,
        "latest_message": tracker.latest_message,
        "latest_bot": tracker.latest_bot_utterance,
        "ids": (tracker.sender_id, tracker.model_id, tracker.assistant_id),
        "max_history": tracker._max_event_history,
        "rule": tracker.is_rule_tracker,
        "current": tracker.current_state(EventVerbosity.ALL),
    }


def _off_the_happy_path() -> list[Any]:
    """Events Rasa's processor writes when a turn goes wrong, on top of a normal start."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionExecutionRejected,
        ActionReverted,
        ActiveLoop,
        ConversationPaused,
        ConversationResumed,
        FollowupAction,
        LoopInterrupted,
        Restarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    return [
        ActionExecuted("action_listen"),
        UserUttered("return something", {"name": "return_item", "confidence": 0.9}),
        ActionExecuted("return_form"),
        ActiveLoop("return_form"),
        SlotSet("requested_slot", "order_number"),
        ActionExecuted("action_listen"),
        UserUttered("what?", {"name": "nlu_fallback", "confidence": 0.3}),
        ActionExecutionRejected("return_form"),
        LoopInterrupted(True),
        ActionExecuted("action_default_ask_affirmation"),
        ActionExecuted("action_listen"),
        UserUtteranceReverted(),
        ActionExecuted("action_two_stage_fallback"),
        ActionReverted(),
        FollowupAction("action_handoff"),
        ConversationPaused(),
        ConversationResumed(),
        SlotSet("order_number", "10000"),
        Restarted(),
        SlotSet("order_number", "10001"),
    ]


def _conversations(domain: Any) -> list[list[Any]]:
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    own = [event for _, event in _conversation(domain)]
    stories = []
    for path in sorted((ROOT_DIR / "bot" / "tests" / "test_stories").glob("*.yml")):
        for step in YAMLStoryReader(domain).read_from_file(str(path)):
            stories.append(list(step.events))
    assert len(stories) > 50, "the end-to-end test stories were not read"
    return [own, own + _off_the_happy_path(), *stories]


def test_a_copy_without_replay_has_the_state_rasas_replay_rebuilds_at_every_step() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import turn_speedups

    domain = Domain.load("bot/domain")
    steps = 0
    for events in _conversations(domain):
        tracker = DialogueStateTracker("web-1", domain.slots)
        tracker.model_id = "model-1"  # set by the processor; Rasa's copy leaves it unset
        for event in events:
            tracker.update(event, domain)
            assert _state(turn_speedups._copy_without_replay(tracker)) == _state(
                _rasas_copy(tracker)
            )
            steps += 1
    assert steps > 100


def test_what_a_caller_changes_on_the_copy_leaves_the_tracker_alone() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import turn_speedups

    domain = Domain.load("bot/domain")
    tracker = DialogueStateTracker("web-1", domain.slots)
    for _, event in _conversation(domain):
        tracker.update(event, domain)
    tracker.update(ActiveLoop("return_form"), domain)
    before = _state(tracker)

    copied = turn_speedups._copy_without_replay(tracker)
    copied.update_with_events(
        [SlotSet("order_number", "99999"), ActionExecuted("return_form")], domain
    )
    copied.reject_action("return_form")
    copied.interrupt_loop(True)
    copied.latest_action["action_name"] = "changed"
    copied.slots["faq_pending"].value = False

    assert _state(tracker) == before
    assert copied.get_slot("order_number") == "99999"


def test_the_channel_installs_the_copy_without_replay() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import turn_speedups

    rasas_copy = DialogueStateTracker.__dict__["copy"]
    try:
        ConciergeRestInput(secret="s3cret").blueprint(lambda message: None)
        assert DialogueStateTracker.copy is turn_speedups._copy_without_replay
    finally:
        DialogueStateTracker.copy = rasas_copy


def test_the_channel_sends_actions_earlier_messages_without_unread_parse_data() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import action_payload

    rasas_format = RemoteAction.__dict__["_action_call_format"]
    try:
        ConciergeRestInput(secret="s3cret").blueprint(lambda message: None)
        assert RemoteAction._action_call_format is action_payload._call_format_without_unread_data
        domain = Domain.load("bot/domain")
        tracker = DialogueStateTracker("web-1", domain.slots)
        ranking = [{"name": "greet", "confidence": 0.9}, {"name": "bye", "confidence": 0.1}]
        for text in ("hi", "hello again"):
            tracker.update(ActionExecuted("action_listen"), domain)
            tracker.update(
                UserUttered(
                    text,
                    {"name": "greet", "confidence": 0.9},
                    parse_data={
                        "intent": {"name": "greet", "confidence": 0.9},
                        "intent_ranking": ranking,
                        "entities": [],
                        "text": text,
                    },
                ),
                domain,
            )
        body = RemoteAction("action_greet", None)._action_call_format(tracker, domain)
        users = [e for e in body["tracker"]["events"] if e["event"] == "user"]
        assert "intent_ranking" not in users[0]["parse_data"]
        assert users[0]["parse_data"]["intent"]["name"] == "greet"
        assert users[1]["parse_data"]["intent_ranking"] == ranking
        assert body["tracker"]["latest_message"]["intent_ranking"] == ranking
    finally:
        RemoteAction._action_call_format = rasas_format
