"""A dialogue's states, carried on from the last turn instead of replayed from the start.

Rasa 3.6 computes the states its policies see (``Domain.states_for_tracker_history``) by
replaying every applied event of the conversation into a fresh tracker and reading its
state before each action. The result for a longer conversation starts with the result for
the shorter one: a turn only appends events. So this module keeps, on the tracker, where
the last replay stopped (the applied events it consumed, its replay tracker, the states so
far and the two variables Rasa's loop carries) and replays only the events after that.

It starts over whenever the conversation's applied events do not begin with exactly the
events it consumed (the same objects): a rewind (``UserUtteranceReverted``,
``ActionReverted``), a form's undone loop step, a restart or a new session change the
applied history, and then the whole replay runs as in Rasa. The loop below is Rasa 3.6's
``states_for_tracker_history`` with its variables kept between calls; the tests compare it
with Rasa's at every step of the end-to-end test stories (tests/rasa_side).

Memory: a kept replay holds a second tracker over the same event objects and one small dict
per action of the conversation, for each argument set the policies ask with: ~0.7 KB per
event for three argument sets (tracemalloc, 600 events of the test stories), beside the
~5 KB per event of the tracker itself (bot/tracker_store.py's budget for kept trackers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

State = dict[str, Any]

_REPLAYS_ATTRIBUTE = "_concierge_state_replays"


@dataclass
class Replay:
    """Rasa's replay loop stopped after ``applied``: everything it needs to go on."""

    tracker: Any  # the replay tracker, with ``applied`` applied
    applied: list[Any] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    last_ml_action: Any = None
    turn_was_hidden: bool = False


def arguments_key(
    omit_unset_slots: bool, ignore_rule_only_turns: bool, rule_only_data: dict[str, Any] | None
) -> tuple[Any, ...]:
    """The arguments of ``past_states`` as a hashable key (rule-only data sorted)."""
    rule_only = (
        None
        if rule_only_data is None
        else tuple(sorted((name, tuple(value)) for name, value in rule_only_data.items()))
    )
    return (omit_unset_slots, ignore_rule_only_turns, rule_only)


def _extends(applied: list[Any], consumed: list[Any]) -> bool:
    if len(applied) < len(consumed):
        return False
    return all(new is old for new, old in zip(applied, consumed, strict=False))


def _step(
    domain: Any,
    replay: Replay,
    hide_rule_turn: bool,
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: dict[str, Any] | None,
) -> None:
    """One pass of Rasa's loop body for the replay tracker as it is now."""
    from rasa.shared.core.constants import PREVIOUS_ACTION

    tracker = replay.tracker
    if ignore_rule_only_turns:
        if not replay.turn_was_hidden:
            replay.last_ml_action = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and tracker.latest_action_name != tracker.active_loop_name:
            replay.turn_was_hidden = hide_rule_turn
        if replay.turn_was_hidden:
            return
    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if replay.states:
            domain._substitute_rule_only_user_input(state, replay.states[-1])
        if replay.last_ml_action:
            state[PREVIOUS_ACTION] = replay.last_ml_action
    replay.states.append(domain._clean_state(state))


def states_carried_on(
    tracker: Any,
    domain: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """``domain.states_for_tracker_history(tracker, ...)``, replaying only what is new.

    The returned list and its states are shared with the kept replay: callers that change
    states must copy them (bot/turn_speedups.py hands each policy its own copy).
    """
    from rasa.shared.core.events import ActionExecuted

    key = (id(domain), *arguments_key(omit_unset_slots, ignore_rule_only_turns, rule_only_data))
    replays: dict[Any, Replay] = tracker.__dict__.setdefault(_REPLAYS_ATTRIBUTE, {})
    applied = tracker.applied_events()
    replay = replays.get(key)
    if replay is None or not _extends(applied, replay.applied):
        replay = Replay(tracker=tracker.init_copy())
        replays[key] = replay
    for event in applied[len(replay.applied) :]:
        if isinstance(event, ActionExecuted):
            _step(
                domain,
                replay,
                event.hide_rule_turn,
                omit_unset_slots,
                ignore_rule_only_turns,
                rule_only_data,
            )
        replay.tracker.update(event)
    replay.applied = list(applied)
    # Rasa's loop ends with the tracker after every event; that last state is not kept.
    last = Replay(
        tracker=replay.tracker,
        applied=replay.applied,
        states=list(replay.states),
        last_ml_action=replay.last_ml_action,
        turn_was_hidden=replay.turn_was_hidden,
    )
    _step(domain, last, False, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    return last.states
