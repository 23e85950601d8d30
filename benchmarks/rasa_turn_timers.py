"""Per-call timers for benchmarks/rasa_turn.py: the parts of a Rasa turn, and the two versions
(Rasa's own and bot/turn_speedups.py's) of what the cuts replace, each timed."""

from __future__ import annotations

import asyncio
import functools
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bot.turn_speedups import (
    check_action_replies_with_one_validator,
    copy_trackers_without_replay,
    share_past_states_between_policies,
)


class Timers:
    """Wall time and call counts per label, switched on only while measuring."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.on = False

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def add(self, label: str, seconds: float) -> None:
        if self.on:
            self.seconds[label] += seconds
            self.calls[label] += 1

    def wrap(self, owner: Any, name: str, label: str | Callable[[Any], str]) -> None:
        """Replace ``owner.name`` by a timed version (sync or async)."""
        original = owner.__dict__[name]
        is_static = isinstance(original, staticmethod)
        func = original.__func__ if is_static else original
        timers = self

        def label_of(args: tuple) -> str:
            return label(args[0]) if callable(label) else label

        if asyncio.iscoroutinefunction(func):

            @functools.wraps(func)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return await func(*args, **kwargs)
                finally:
                    timers.add(label_of(args), time.perf_counter() - start)

            wrapped: Any = timed_async
        else:

            @functools.wraps(func)
            def timed(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return func(*args, **kwargs)
                finally:
                    timers.add(label_of(args), time.perf_counter() - start)

            wrapped = timed
        setattr(owner, name, staticmethod(wrapped) if is_static else wrapped)


def instrument(timers: Timers) -> None:
    """Time the parts of a turn. Nested labels overlap (a policy includes its featurizing)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.tracker_store import DurableSQLTrackerStore

    timers.wrap(MessageProcessor, "handle_message", "turn (handle_message)")
    timers.wrap(MessageProcessor, "parse_message", "NLU (parse_message)")
    timers.wrap(MessageProcessor, "_predict_next_with_tracker", "policies (whole ensemble)")
    timers.wrap(MemoizationPolicy, "predict_action_probabilities", "  MemoizationPolicy")
    timers.wrap(RulePolicy, "predict_action_probabilities", "  RulePolicy")
    timers.wrap(TEDPolicy, "predict_action_probabilities", "  TEDPolicy")
    timers.wrap(TEDPolicy, "_featurize_tracker", "    TED featurize")
    timers.wrap(TrackerFeaturizer, "prediction_states", "  featurizer.prediction_states")
    timers.wrap(DialogueStateTracker, "past_states", "  tracker.past_states computed")
    timers.wrap(DialogueStateTracker, "applied_events", "  tracker.applied_events")
    timers.wrap(DurableSQLTrackerStore, "retrieve", "tracker store retrieve")
    timers.wrap(DurableSQLTrackerStore, "save", "tracker store save")
    timers.wrap(EndpointConfig, "request", "action server HTTP call")
    timers.wrap(RemoteAction, "_action_call_format", "  action payload (tracker+domain)")
    timers.wrap(MessageProcessor, "_run_action", "run actions (incl. HTTP)")
    timers.wrap(DialogueStateTracker, "copy", "tracker.copy (replay)")
    timers.wrap(DialogueStateTracker, "current_state", "tracker.current_state (as dict)")


REPLY_CHECKS: dict[str, Any] = {}
TRACKER_COPIES: dict[str, Any] = {}
CALL_FORMATS: dict[str, Any] = {}


def time_call_formats(timers: Timers) -> None:
    """Rasa's action call body (every message whole) and bot/action_payload.py's: earlier
    messages reduced, each event's dict and JSON text made once; and, for ``--one-cut
    event-texts``, the reduced body made anew at every call (its JSON written whole)."""
    from rasa.core.actions.action import RemoteAction

    from bot import action_payload

    rasas = CALL_FORMATS["before"] = RemoteAction.__dict__["_action_call_format"]

    def reduced_each_call(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
        body: dict[str, Any] = rasas(self, tracker, domain)
        events = body["tracker"]["events"]
        body["tracker"]["events"] = action_payload.reduce_earlier_messages(events)
        return body

    RemoteAction._action_call_format = reduced_each_call
    timers.wrap(RemoteAction, "_action_call_format", "  action payload (reduced, each call)")
    CALL_FORMATS["reduced each call"] = RemoteAction.__dict__["_action_call_format"]
    RemoteAction._action_call_format = rasas
    action_payload.send_actions_what_they_read()
    timers.wrap(RemoteAction, "_action_call_format", "  action payload (event texts kept)")
    CALL_FORMATS["after"] = RemoteAction.__dict__["_action_call_format"]


def time_tracker_copies(timers: Timers) -> None:
    """Rasa's replaying ``tracker.copy`` (timed by :func:`instrument`) and the one without."""
    from rasa.shared.core.trackers import DialogueStateTracker

    TRACKER_COPIES["before"] = DialogueStateTracker.__dict__["copy"]
    copy_trackers_without_replay()
    timers.wrap(DialogueStateTracker, "copy", "tracker.copy (without replay)")
    TRACKER_COPIES["after"] = DialogueStateTracker.__dict__["copy"]


PAST_STATES: dict[str, Any] = {}
APPLIED_EVENTS: dict[str, Any] = {}


def time_shared_past_states(timers: Timers) -> None:
    """Rasa's past_states (timed by :func:`instrument`) and the shared one, asked by the policies."""
    from rasa.shared.core.trackers import DialogueStateTracker

    PAST_STATES["before"] = DialogueStateTracker.__dict__["past_states"]
    APPLIED_EVENTS["before"] = DialogueStateTracker.__dict__["applied_events"]
    share_past_states_between_policies()
    APPLIED_EVENTS["after"] = DialogueStateTracker.__dict__["applied_events"]
    timers.wrap(DialogueStateTracker, "past_states", "  tracker.past_states asked (shared)")
    PAST_STATES["after"] = DialogueStateTracker.__dict__["past_states"]


def time_reply_checks(timers: Timers) -> None:
    """Rasa's own check of the action server's reply and bot/turn_speedups.py's, both timed."""
    from rasa.core.actions.action import RemoteAction

    timers.wrap(RemoteAction, "_validate_action_result", "  check of the action's reply")
    REPLY_CHECKS["before"] = RemoteAction.__dict__["_validate_action_result"]
    check_action_replies_with_one_validator()
    timers.wrap(RemoteAction, "_validate_action_result", "  check of the action's reply")
    REPLY_CHECKS["after"] = RemoteAction.__dict__["_validate_action_result"]


def time_garbage_collection(timers: Timers) -> None:
    """Python's cyclic collector runs inside whatever allocates; time it on its own."""
    import gc

    started: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            timers.add(f"gc generation {info['generation']}", time.perf_counter() - started.pop())

    gc.callbacks.append(on_gc)


RULE_LOOKUPS: dict[str, tuple[Any, Any]] = {}


def time_rule_lookups(timers: Timers) -> None:
    """RulePolicy's look-up of the rules, Rasa's whole walk and bot/rule_lookup.py's."""
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy

    from bot.rule_lookup import look_up_rules_without_the_whole_walk

    def current() -> tuple[Any, Any]:
        return RulePolicy.__dict__["_get_possible_keys"], Policy.__dict__["format_tracker_states"]

    timers.wrap(RulePolicy, "_get_possible_keys", "    RulePolicy rule look-up")
    RULE_LOOKUPS["before"] = current()
    look_up_rules_without_the_whole_walk()
    timers.wrap(RulePolicy, "_get_possible_keys", "    RulePolicy rule look-up")
    RULE_LOOKUPS["after"] = current()


def use_rule_lookup(variant: str) -> None:
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy

    RulePolicy._get_possible_keys, Policy.format_tracker_states = RULE_LOOKUPS[variant]


SESSIONS: dict[str, Any] = {}


def keep_json_encoders() -> None:
    """Rasa's HTTP session (requests encoded by json.dumps) and bot/action_payload.py's (ujson)."""
    from rasa.utils.endpoints import EndpointConfig

    from bot.action_payload import send_json_encoded_by_ujson

    SESSIONS["before"] = EndpointConfig.__dict__["session"]
    send_json_encoded_by_ujson()
    SESSIONS["after"] = EndpointConfig.__dict__["session"]


def use_json_encoder(variant: str) -> None:
    from rasa.utils.endpoints import EndpointConfig

    EndpointConfig.session = SESSIONS[variant]


def use_known_stored_events(known: bool) -> None:
    """bot/tracker_store.py knows how many events of a tracker it handed out are stored;
    without that (``--one-cut store-count``'s before), Rasa counts them in the database."""
    from bot.tracker_store import RecentTrackers

    if "rasas" not in KNOWN_STORED:
        KNOWN_STORED["rasas"] = RecentTrackers.stored_events
    RecentTrackers.stored_events = KNOWN_STORED["rasas"] if known else _count_in_database


KNOWN_STORED: dict[str, Any] = {}


def _count_in_database(self: Any, tracker: Any) -> None:
    self._handed_out.pop(tracker.sender_id, None)
