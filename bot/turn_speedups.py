"""Costs of every turn inside the Rasa 3.6 server that do nothing for the answer (issue 15).

Measured with ``benchmarks/rasa_turn.py`` (BENCHMARKS.md, "Turn cost"):

- **The action server's reply is checked against a schema that is itself re-checked each
  time.** ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which first
  validates Rasa's (constant) response schema against the JSON-Schema meta-schema and builds
  a new validator: ~35 ms per custom action call on these machines, for a check that takes
  ~2 ms with a validator built once. :func:`check_action_replies_with_one_validator` keeps
  the same check (same schema, same validator class, same best-matching error, same message)
  with the validator built once.
- **Python's full garbage collections walk the loaded model.** The server holds ~1.1 million
  objects the cyclic collector tracks (TensorFlow, spaCy, Rasa's graph); every collection of
  the oldest generation walks all of them (~0.5 s each on a shared core), and a busy server
  triggers one every few turns. :func:`freeze_loaded_objects` moves what exists once the model
  is loaded into the collector's permanent generation (``gc.freeze``): those objects live as
  long as the process anyway, and later collections only walk what turns allocate.

- **The policies each rebuild the dialogue's states from its whole history.** Memoization,
  RulePolicy (twice) and TED each call ``tracker.past_states`` on the same tracker in one
  prediction, every call replaying the conversation (~7 ms at 600 events).
  :func:`share_past_states_between_policies` computes them once per tracker version and
  argument set and hands each caller its own copy (the featurizers edit the states they get).
  The next turn carries the replay on from where this one stopped (bot/tracker_states.py),
  so a turn replays its own events, not the conversation; and ``applied_events``, which
  Rasa's code asks ~7 times a turn, is computed once per version of the events and
  carried on from the last version (events are only appended) instead of refolded.

- **Each action runs on a copy of the tracker rebuilt from every event.** Rasa's processor
  calls ``tracker.copy()`` before each action (so a rejected action's events can be
  dropped), and ``copy`` replays the whole conversation into a new tracker: 4-6 replays a
  turn, each growing with the conversation. :func:`copy_trackers_without_replay` copies the
  state the replay would rebuild (the events, each slot's value, the active loop, the
  latest message, action and bot utterance, the follow-up action, the pause flag) instead.

The ``concierge`` channel installs all four when Rasa loads it (bot/channels/concierge_rest.py),
so they apply exactly where the server answers customers; ``rasa test`` and training, which
do not load the channel, run Rasa unchanged.
"""

from __future__ import annotations

import copy
import gc
import itertools
import logging
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

_validator: Any = None


def _validate_with_one_validator(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` of Rasa 3.6 with the validator built once."""
    from jsonschema import exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(_validator.iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def check_action_replies_with_one_validator() -> None:
    """Build the validator of action server replies once instead of on every call."""
    global _validator
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    if RemoteAction._validate_action_result is _validate_with_one_validator:
        return
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate did on each call, now once
    _validator = cls(schema)
    RemoteAction._validate_action_result = _validate_with_one_validator


_rasas_past_states: Any = None
_CACHE_ATTRIBUTE = "_concierge_past_states"


def _own_copy(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A state maps a part (user, prev_action, slots, active_loop) to a dict of immutable
    # values (str, tuple); callers delete keys and drop states, never change a value.
    return [{part: dict(sub_state) for part, sub_state in state.items()} for state in states]


def _past_states_shared(
    self: Any,
    domain: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """``DialogueStateTracker.past_states``, computed once per tracker version and arguments,
    by carrying the last turn's replay on (bot/tracker_states.py)."""
    from bot.tracker_states import arguments_key, states_carried_on

    events = self.events
    # The states follow from the events (appended to, never edited in place) and the domain.
    version = (id(domain), len(events), events[-1] if events else None)
    arguments = arguments_key(omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    cached_version, by_arguments = self.__dict__.get(_CACHE_ATTRIBUTE, (None, {}))
    if not _same_version(cached_version, version):
        by_arguments = {}
        setattr(self, _CACHE_ATTRIBUTE, (version, by_arguments))
    if arguments not in by_arguments:
        by_arguments[arguments] = states_carried_on(
            self,
            domain,
            omit_unset_slots=omit_unset_slots,
            ignore_rule_only_turns=ignore_rule_only_turns,
            rule_only_data=rule_only_data,
        )
    return _own_copy(by_arguments[arguments])


def _same_version(cached: Any, version: tuple[Any, ...]) -> bool:
    """Same domain, same number of events and the very same last event object."""
    return cached is not None and cached[:-1] == version[:-1] and cached[-1] is version[-1]


_rasas_applied_events: Any = None
_APPLIED_ATTRIBUTE = "_concierge_applied_events"


@dataclass
class _Applied:
    """Rasa's fold over the events, stopped after the first ``length`` of them."""

    length: int
    last: Any  # the last event folded (the very object)
    loop_names: set[str]  # the loops the folded events name
    events: list[Any]  # the applied events so far (kept here, never handed out)


def _applied_events_once(self: Any) -> list[Any]:
    """``DialogueStateTracker.applied_events``, carried on from the last call.

    Rasa's ``applied_events`` folds every event into a list (appending, or undoing what a
    rewind, a restart or a form's repeated step takes back), with the names of the loops that
    appear *anywhere* in the events. Events are only appended, so the fold over the longer
    list starts with the fold over the shorter one, as long as the new events name no loop the
    earlier ones did not (an earlier step of that form would then be read differently): then,
    and for a tracker that drops its oldest events, the whole fold runs again.
    """
    from rasa.shared.core.events import ActiveLoop

    events = self.events
    length = len(events)
    cached: _Applied | None = self.__dict__.get(_APPLIED_ATTRIBUTE)
    if (
        cached is not None
        and cached.length == length
        and cached.last is (events[-1] if length else None)
    ):
        return list(cached.events)  # callers may change their list
    new: list[Any] = []
    if (
        cached is not None
        and 0 < cached.length < length
        and self._max_event_history is None
        and events[cached.length - 1] is cached.last
    ):
        new = list(itertools.islice(events, cached.length, None))
        if any(
            isinstance(e, ActiveLoop) and e.name and e.name not in cached.loop_names for e in new
        ):
            cached = None
    else:
        cached = None
    if cached is None:
        loop_names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
        cached = _Applied(0, None, loop_names, [])
        new = list(events)
    _fold(self, cached, new)
    cached.length, cached.last = length, (events[-1] if length else None)
    self.__dict__[_APPLIED_ATTRIBUTE] = cached
    return list(cached.events)


def _fold(tracker: Any, applied: _Applied, new: list[Any]) -> None:
    """The loop body of Rasa 3.6's ``applied_events``, over ``new`` (same order, same calls)."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )

    done = applied.events
    for event in new:
        if isinstance(event, (Restarted, SessionStarted)):
            done.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, done)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, done)
            tracker._undo_till_previous(ActionExecuted, done)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in applied.loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, done)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, done)
        else:
            done.append(event)


def share_past_states_between_policies() -> None:
    """Let the policies of one prediction share the states of the dialogue, and the next turn
    carry them on; and compute the applied events once per version of the events, carried
    on from the last version."""
    global _rasas_past_states, _rasas_applied_events
    from rasa.shared.core.trackers import DialogueStateTracker

    if DialogueStateTracker.past_states is not _past_states_shared:
        _rasas_past_states = DialogueStateTracker.past_states
        DialogueStateTracker.past_states = _past_states_shared
    if DialogueStateTracker.applied_events is not _applied_events_once:
        _rasas_applied_events = DialogueStateTracker.applied_events
        DialogueStateTracker.applied_events = _applied_events_once


def freeze_loaded_objects() -> int:
    """Collect once, then exempt every object alive now from later full collections.

    Call it when the model is loaded (after Rasa's ``before_server_start`` listeners);
    returns how many objects were frozen.
    """
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("Froze %d long-lived objects out of the garbage collector's sweeps.", frozen)
    return frozen


_STATE_ATTRIBUTES = (
    "_max_event_history",
    "sender_id",
    "sender_source",
    "is_rule_tracker",
    "_paused",
    "followup_action",
    "latest_message",
    "latest_bot_utterance",
    "model_id",
    "assistant_id",
)


def _copy_without_replay(self: Any) -> Any:
    """``DialogueStateTracker.copy`` of Rasa 3.6, without replaying every event.

    Rasa's copy is ``init_copy`` plus ``update(event)`` for each event: a new tracker whose
    state is rebuilt by the same ``apply_to`` calls that built this one. The result here has
    the same events (the same objects, as Rasa's copy shares them too), its own slots with
    this tracker's values, its own active loop and latest action, and the same latest
    message, bot utterance, follow-up action and pause flag. What a caller may change in
    place (the event list, a slot, the active loop, the latest action) is its own; the
    events and messages are shared exactly as in Rasa's copy. ``model_id`` and
    ``assistant_id`` stay unset, as ``init_copy`` leaves them.
    """
    from collections import deque

    copied = self.__class__.__new__(self.__class__)
    for attribute in _STATE_ATTRIBUTES:
        setattr(copied, attribute, getattr(self, attribute, None))
    copied.model_id = None
    copied.assistant_id = None
    copied.events = deque(self.events, self._max_event_history)
    # A plain dict, as Rasa's copy makes even of a domain-less tracker's AnySlotDict.
    copied.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
    copied.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    copied.active_loop = copy.copy(self.active_loop)
    return copied


def copy_trackers_without_replay() -> None:
    """Let ``tracker.copy()`` copy the tracker's state instead of replaying its events."""
    from rasa.shared.core.trackers import DialogueStateTracker

    if DialogueStateTracker.copy is _copy_without_replay:
        return
    DialogueStateTracker.copy = _copy_without_replay
