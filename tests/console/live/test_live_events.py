"""Which of Rasa's published tracker events the staff pages' live feed counts."""

from __future__ import annotations

import json

from console.live.events import LiveEvent, LiveKind, classify, parse_body


def test_session_started_is_a_new_conversation() -> None:
    body = {"sender_id": "web-1", "event": "session_started", "timestamp": 1700000000.5}

    assert classify(body) == LiveEvent(LiveKind.CONVERSATION_STARTED, "web-1", 1700000000.5)


def test_the_handoff_action_is_a_request_for_a_person() -> None:
    body = {"sender_id": "web-2", "event": "action", "name": "action_handoff", "timestamp": 17}

    assert classify(body) == LiveEvent(LiveKind.HANDOFF_REQUESTED, "web-2", 17.0)


def test_other_events_are_not_shown() -> None:
    for body in (
        {"sender_id": "a", "event": "action", "name": "action_listen", "timestamp": 1.0},
        {"sender_id": "a", "event": "user", "text": "talk to a person", "timestamp": 1.0},
        {"sender_id": "a", "event": "bot", "text": "hello", "timestamp": 1.0},
        {"sender_id": "a", "event": "slot", "name": "customer_id", "timestamp": 1.0},
    ):
        assert classify(body) is None, body


def test_events_without_sender_or_time_are_ignored() -> None:
    assert classify({"event": "session_started", "timestamp": 1.0}) is None
    assert classify({"sender_id": "a", "event": "session_started"}) is None
    assert classify({"sender_id": 5, "event": "session_started", "timestamp": 1.0}) is None


def test_broker_bodies_that_are_not_a_json_object_read_as_nothing() -> None:
    assert parse_body(b"\xff\xfe") is None
    assert parse_body(b"not json") is None
    assert parse_body(b"[1, 2]") is None
    assert parse_body(json.dumps({"event": "bot"}).encode()) == {"event": "bot"}
