"""What Rasa sends the action server: the whole conversation, without what no action reads.

Rasa 3.6 sends the tracker with every event to the action server on every call
(``RemoteAction._action_call_format``, ``EventVerbosity.ALL``). Each customer message
carries its full parse data: the ranking of every intent, each ResponseSelector's ranking
and response texts, the entities. That is ~3 KB a message, most of the request, and the
part of a call that grows with the conversation (BENCHMARKS.md, "Turn cost": parsing the
request is 5x costlier at ~500 events than in a new chat).

The actions read only a few fields of earlier messages (``actions/base.py`` ``intent_of``,
``actions/handoff.py``, ``actions/multi_intent.py``, ``actions/frustration.py``): the
text, the intent's name and confidence, the entities, and which response each selector
chose. :func:`send_actions_what_they_read` keeps those for every earlier message and the
whole parse data of the latest one (``latest_message`` also stays whole). The tracker store,
the event broker and the console see every event unchanged: only the action server's copy
of earlier messages is smaller. An action that needs more of an earlier message must be
added to :data:`KEPT_PARSE_DATA` (tests/actions/test_action_payload.py runs the actions'
readers of earlier messages on full and reduced events and expects the same answers).
:func:`reduce_earlier_messages` says on a list of event dicts what is sent.

Every call sends the same earlier events again, so each event's dict and JSON text are made
once and kept on the event object (:func:`encoded_events`): Rasa shares the objects between
a tracker and its copies and keeps them from turn to turn. Only the latest customer message,
which Rasa may still change (``EntitiesAdded``), is written anew each call. At ~850 events
this took the request's making from ~3 ms a turn to ~1.6 ms, and its encoding to a join.
What is kept lives as long as its event: between turns that is the events the tracker store
keeps in memory (at most 20,000, bot/tracker_store.py), ~1 KB each.

The request is then encoded by ``ujson`` (a dependency of Rasa's) instead of ``json``:
:func:`send_json_encoded_by_ujson`. At ~850 events the request is ~300 KB and ``json.dumps``
took ~5 ms of each call, ``ujson`` ~1 ms. Both write JSON that reads back to the same
value (tests/rasa_side/test_action_json.py, on every request of the test stories); where
``ujson`` refuses a value, ``json.dumps`` is asked, so Rasa's own error is raised. ``ujson``
writes two things ``json`` refuses, a tuple as a dict key and an object with ``toDict``;
Rasa's events are plain dicts and hold neither.
"""

from __future__ import annotations

import json
from typing import Any

import ujson

# The parts of an earlier message's parse data that are kept (the intent without its
# ranking, each selector's chosen response without its ranking and texts).
KEPT_PARSE_DATA = ("text", "intent", "entities", "response_selector")


def _selector_choice(selector: Any) -> dict[str, Any]:
    response = (selector or {}).get("response") or {}
    return {
        "response": {
            key: response[key]
            for key in ("intent_response_key", "confidence", "utter_action")
            if key in response
        }
    }


def reduced_parse_data(parse_data: dict[str, Any]) -> dict[str, Any]:
    """An earlier message's parse data with only what the actions read of it."""
    kept: dict[str, Any] = {}
    for key in KEPT_PARSE_DATA:
        if key not in parse_data:
            continue
        value = parse_data[key]
        if key == "intent" and isinstance(value, dict):
            value = {k: value[k] for k in ("name", "confidence") if k in value}
        elif key == "response_selector" and isinstance(value, dict):
            value = {
                name: selector if name == "all_retrieval_intents" else _selector_choice(selector)
                for name, selector in value.items()
            }
        kept[key] = value
    return kept


def reduce_earlier_messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with every user message but the latest reduced to what actions read."""
    latest = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return [
        {**event, "parse_data": reduced_parse_data(event["parse_data"])}
        if index != latest and event.get("event") == "user" and event.get("parse_data")
        else event
        for index, event in enumerate(events)
    ]


_rasas_call_format: Any = None

# An earlier event's request form, kept on the event itself: (its dict, its JSON text).
_KEPT = "_concierge_request_form"


class EncodedEvents(list):  # type: ignore[type-arg]
    """The request's events (dicts, as Rasa's), with their JSON text already written.

    :func:`json_text` writes :attr:`text` in place of the list, unless the list was changed
    after it was made.
    """

    def __init__(self, dicts: list[dict[str, Any]], text: str) -> None:
        super().__init__(dicts)
        self.text = text
        self._length = len(dicts)

    def unchanged_text(self) -> str | None:
        return self.text if len(self) == self._length else None


def _request_form(event: Any) -> tuple[dict[str, Any], str]:
    """An earlier event as the action server gets it, made once per event object.

    Rasa shares event objects between a tracker and its copies and keeps them while the
    conversation goes on; an event is not changed once a newer customer message exists
    (``EntitiesAdded`` changes the latest message only, which is never kept here).
    """
    kept = event.__dict__.get(_KEPT)
    if kept is None:
        as_dict = event.as_dict()
        if as_dict.get("event") == "user" and as_dict.get("parse_data"):
            as_dict = {**as_dict, "parse_data": reduced_parse_data(as_dict["parse_data"])}
        kept = (as_dict, json_text(as_dict))
        event.__dict__[_KEPT] = kept
    return kept


def encoded_events(events: list[Any]) -> EncodedEvents:
    """What :func:`reduce_earlier_messages` makes of the events' dicts, and its JSON text."""
    latest = next((i for i in range(len(events) - 1, -1, -1) if events[i].type_name == "user"), -1)
    dicts: list[dict[str, Any]] = []
    texts: list[str] = []
    for index, event in enumerate(events):
        if index == latest:  # whole, as it is now
            as_dict = event.as_dict()
            dicts.append(as_dict)
            texts.append(json_text(as_dict))
        else:
            as_dict, text = _request_form(event)
            dicts.append(as_dict)
            texts.append(text)
    return EncodedEvents(dicts, "[" + ",".join(texts) + "]")


class _StateWithoutEvents:
    """A tracker whose ``current_state`` leaves the events out, for Rasa's call format."""

    def __init__(self, tracker: Any) -> None:
        self._tracker = tracker

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)

    def current_state(self, event_verbosity: Any = None) -> dict[str, Any]:
        from rasa.shared.core.trackers import EventVerbosity

        state: dict[str, Any] = self._tracker.current_state(EventVerbosity.NONE)
        return state


def _call_format_without_unread_data(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
    result: dict[str, Any] = _rasas_call_format(self, _StateWithoutEvents(tracker), domain)
    result["tracker"]["events"] = encoded_events(list(tracker.events))
    return result


def send_actions_what_they_read() -> None:
    """Let Rasa send earlier messages to the action server without unread parse data."""
    global _rasas_call_format
    from rasa.core.actions.action import RemoteAction

    if RemoteAction._action_call_format is _call_format_without_unread_data:
        return
    _rasas_call_format = RemoteAction._action_call_format
    RemoteAction._action_call_format = _call_format_without_unread_data


def json_text(value: Any) -> str:
    """``value`` as JSON text that reads back as ``json.dumps(value)`` does, made by ujson.

    A request whose events are :class:`EncodedEvents` gets their text as it was written.
    """
    events = _encoded_events_of(value)
    if events is not None:
        tracker = {key: v for key, v in value["tracker"].items() if key != "events"}
        members = [
            f"{json_text(key)}:{json_text(v)}" for key, v in value.items() if key != "tracker"
        ]
        inner = [f"{json_text(key)}:{json_text(v)}" for key, v in tracker.items()]
        members.append('"tracker":{' + ",".join([*inner, f'"events":{events}']) + "}")
        return "{" + ",".join(members) + "}"
    try:
        return str(ujson.dumps(value, escape_forward_slashes=False))
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


def _encoded_events_of(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    tracker = value.get("tracker")
    events = tracker.get("events") if isinstance(tracker, dict) else None
    if not isinstance(events, EncodedEvents):
        return None
    if not all(isinstance(key, str) for key in [*value, *tracker]):
        return None  # written whole, as json.dumps would write other keys
    return events.unchanged_text()


_rasas_session: Any = None


def _session_encoding_with_ujson(self: Any) -> Any:
    session = _rasas_session(self)
    # aiohttp encodes ``request(json=...)`` with the session's serializer; Rasa makes a
    # session per request without one (json.dumps).
    session._json_serialize = json_text
    return session


def send_json_encoded_by_ujson() -> None:
    """Let Rasa's HTTP calls (the action server's above all) encode their JSON with ujson."""
    global _rasas_session
    from rasa.utils.endpoints import EndpointConfig

    if EndpointConfig.session is _session_encoding_with_ujson:
        return
    _rasas_session = EndpointConfig.session
    EndpointConfig.session = _session_encoding_with_ujson
