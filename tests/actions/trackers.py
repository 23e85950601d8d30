"""Build rasa_sdk trackers the way Rasa 3.6 sends them to the action server, and run actions.

``user`` makes a user event, ``tracker`` a tracker from slots / latest message / events,
``form_tracker`` the tracker a form hands its validation action (the slot candidates at
the end, after the form's ActionExecuted), and ``load_tracker`` one dumped to JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

DATA = Path(__file__).parent / "data"
SENDER = "web-test-sender"


def load_domain() -> dict[str, Any]:
    """The test domain dict (tests/actions/data/domain.yml)."""
    return yaml.safe_load((DATA / "domain.yml").read_text(encoding="utf-8"))


def parse_data(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    *,
    metadata: dict[str, Any] | None = None,
    retrieval_key: str | None = None,
) -> dict[str, Any]:
    """NLU parse data as Rasa puts it in ``latest_message`` and user events."""
    data: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.97},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.97}],
        "metadata": metadata or {},
    }
    if retrieval_key is not None:
        data["response_selector"] = {
            "all_retrieval_intents": [intent],
            intent: {
                "response": {
                    "id": 1,
                    "responses": [{"text": "(from the domain)"}],
                    "response_templates": [{"text": "(from the domain)"}],
                    "confidence": 0.93,
                    "intent_response_key": retrieval_key,
                    "utter_action": f"utter_{retrieval_key}",
                    "template_name": f"utter_{retrieval_key}",
                },
                "ranking": [],
            },
        }
    return data


def user(text: str, intent: str, **kwargs: Any) -> dict[str, Any]:
    """A user event with its parse data."""
    data = parse_data(text, intent, **kwargs)
    return {
        "event": "user",
        "timestamp": None,
        "text": text,
        "parse_data": data,
        "input_channel": "concierge",
        "metadata": data["metadata"],
    }


def tracker(
    *,
    sender_id: str = SENDER,
    slots: dict[str, Any] | None = None,
    latest_message: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker whose slots are ``slots`` (missing domain slots are None)."""
    all_slots = dict.fromkeys(load_domain()["slots"])
    all_slots.update(slots or {})
    if events is None:
        events = [SessionStarted(), ActionExecuted("action_listen")]
        events += [SlotSet(k, v) for k, v in (slots or {}).items()]
        if latest_message is not None:
            events.append(
                user(latest_message.get("text", ""), latest_message["intent"]["name"])
                | {"parse_data": latest_message}
            )
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest_message or {},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def form_tracker(
    form: str,
    *,
    candidates: dict[str, Any],
    slots: dict[str, Any] | None = None,
    requested_slot: str | None = None,
    active: bool = True,
    refused_before: dict[str, int] | None = None,
    text: str = "",
    sender_id: str = SENDER,
) -> Tracker:
    """The tracker a form sends to ``validate_<form>`` with new slot ``candidates``.

    ``active`` False is the form's activation (prefilled slots are the candidates);
    ``refused_before`` puts that many earlier refusals of a slot into this form run.
    """
    known = {k: v for k, v in (slots or {}).items()}
    events: list[dict[str, Any]] = [SessionStarted(), ActionExecuted("action_listen")]
    events += [SlotSet(k, v) for k, v in known.items()]
    if active:
        events += [ActionExecuted(form), ActiveLoop(form)]
        for slot, times in (refused_before or {}).items():
            for _ in range(times):
                events += [
                    ActionExecuted("action_listen"),
                    user("something", "inform"),
                    ActionExecuted(form),
                    SlotSet(slot, None),
                    SlotSet("requested_slot", slot),
                ]
    events += [ActionExecuted("action_listen"), user(text or "…", "inform")]
    events += [
        SlotSet("requested_slot", requested_slot if active else None),
        ActionExecuted(form),
    ]
    events += [SlotSet(k, v) for k, v in candidates.items()]
    all_slots = {**known, **candidates, "requested_slot": requested_slot if active else None}
    built = tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=parse_data(text or "…", "inform"),
        events=events,
        active_loop=form if active else None,
    )
    return built


def load_tracker(name: str) -> Tracker:
    """A tracker dumped as JSON in tests/actions/data (as Rasa sends it)."""
    state = json.loads((DATA / name).read_text(encoding="utf-8"))
    return Tracker.from_dict(state)


async def run(
    action: Action, tracker_: Tracker, domain: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    """Run ``action`` on ``tracker_`` with the test domain: (events, dispatcher)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, domain or load_domain())
    return events, dispatcher


def first_text(dispatcher: CollectingDispatcher) -> str | None:
    """The text of the first message the action sent."""
    return dispatcher.messages[0]["text"] if dispatcher.messages else None


def texts(dispatcher: CollectingDispatcher) -> list[str | None]:
    """Every message: its text, or its response name when it used a response."""
    return [m.get("text") or m.get("response") for m in dispatcher.messages]
