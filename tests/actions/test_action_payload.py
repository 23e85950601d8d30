"""Rasa sends earlier messages to the action server without the parse data no action reads
(bot/action_payload.py); what the actions read of them is unchanged."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker

from actions.base import intent_of, session_activity
from actions.faq import selected_topic
from actions.handoff import handoff_reason
from actions.multi_intent import pending_question
from bot.action_payload import reduce_earlier_messages, reduced_parse_data


def _selector(topic: str, confidence: float) -> dict[str, Any]:
    """One ResponseSelector's output as Rasa 3.6 writes it into the parse data."""
    return {
        "response": {
            "id": -123456,
            "responses": [{"text": f"The long answer about {topic}, " * 8}],
            "response_templates": [{"text": f"The long answer about {topic}, " * 8}],
            "confidence": confidence,
            "intent_response_key": f"faq/{topic}",
            "utter_action": f"utter_faq/{topic}",
            "template_name": f"utter_faq/{topic}",
        },
        "ranking": [
            {"id": i, "confidence": confidence / (i + 1), "intent_response_key": f"faq/t{i}"}
            for i in range(10)
        ],
    }


def _user(text: str, intent: str, timestamp: float, topic: str = "returns") -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": timestamp,
        "text": text,
        "metadata": {"channel": "web"},
        "input_channel": "concierge",
        "message_id": f"m{timestamp}",
        "parse_data": {
            "intent": {"name": intent, "confidence": 0.97},
            "entities": [{"entity": "order_number", "value": "10234", "start": 0, "end": 5}],
            "text": text,
            "message_id": f"m{timestamp}",
            "metadata": {"channel": "web"},
            "text_tokens": [[0, 5], [6, 10]],
            "intent_ranking": [
                {"name": f"intent_{i}", "confidence": 0.97 / (i + 1)} for i in range(10)
            ],
            "response_selector": {
                "all_retrieval_intents": ["faq"],
                "faq": _selector(topic, 0.99),
                "default": _selector(topic, 0.42),
            },
        },
    }


def _action(name: str, timestamp: float) -> dict[str, Any]:
    return {"event": "action", "timestamp": timestamp, "name": name, "policy": "RulePolicy"}


def _conversation() -> list[dict[str, Any]]:
    events = [_action("action_session_start", 0.0), {"event": "session_started", "timestamp": 0.1}]
    said = [
        ("hi", "greet"),
        ("where is 10234 and what's your returns policy", "order_status+faq"),
        ("this is ridiculous, third time asking", "express_frustration"),
        ("can I change my delivery address", "unsupported_request"),
        ("how long does shipping take", "faq"),
        ("/request_human", "request_human"),
        ("yes", "affirm"),
    ]
    for index, (text, intent) in enumerate(said, start=1):
        events.append(_action("action_listen", index - 0.5))
        events.append(_user(text, intent, float(index), topic=f"topic{index}"))
        events.append({"event": "bot", "timestamp": index + 0.2, "text": "An answer."})
    return events


def _tracker(events: list[dict[str, Any]]) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker("web-1", {}, latest["parse_data"], events, False, None, None, "action_listen")


def test_what_the_actions_read_of_earlier_messages_is_unchanged() -> None:
    full = _conversation()
    reduced = reduce_earlier_messages(full)
    users = [(f, r) for f, r in zip(full, reduced, strict=True) if f["event"] == "user"]

    assert [intent_of(r) for _, r in users] == [intent_of(f) for f, _ in users]
    assert [selected_topic(r["parse_data"]) for _, r in users] == [
        selected_topic(f["parse_data"]) for f, _ in users
    ]
    assert pending_question(reduced) is not None
    assert selected_topic(pending_question(reduced) or {}) == selected_topic(
        pending_question(full) or {}
    )
    assert session_activity(_tracker(reduced)) == session_activity(_tracker(full))
    assert handoff_reason(_tracker(reduced)) == handoff_reason(_tracker(full))
    assert [r.get("text") for _, r in users] == [f.get("text") for f, _ in users]
    assert [r["parse_data"]["entities"] for _, r in users] == [
        f["parse_data"]["entities"] for f, _ in users
    ]


def test_the_latest_message_and_other_events_go_whole() -> None:
    full = _conversation()
    reduced = reduce_earlier_messages(full)
    latest = max(i for i, e in enumerate(full) if e["event"] == "user")

    assert reduced[latest] is full[latest]
    assert all(r is f for r, f in zip(reduced, full, strict=True) if f["event"] != "user")
    earlier = [r for i, r in enumerate(reduced) if r["event"] == "user" and i != latest]
    assert earlier and all("intent_ranking" not in r["parse_data"] for r in earlier)


def test_the_request_shrinks_to_a_fraction() -> None:
    full = _conversation()
    before = len(json.dumps(full))
    after = len(json.dumps(reduce_earlier_messages(full)))

    assert after < before / 3


def test_parse_data_without_selectors_or_intent_is_kept_as_it_is() -> None:
    assert reduced_parse_data({"text": "hi"}) == {"text": "hi"}
    assert reduced_parse_data({"intent": {"name": "greet", "confidence": 1.0, "id": 7}}) == {
        "intent": {"name": "greet", "confidence": 1.0}
    }
    assert reduce_earlier_messages([]) == []
