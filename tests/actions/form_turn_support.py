"""Trackers and domains for the order-form tests (tests/actions/test_form_*.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet

from tests.actions.shop_data import Customer
from tests.actions.trackers import load_domain, parse_data, texts, tracker, user

GUEST_EMAIL = "robin.hale@example.org"
BOT_DOMAIN = Path(__file__).parents[2] / "bot" / "domain"


def domain_with_ignored_intents(form: str, domain_file: str) -> dict[str, Any]:
    """The test domain, with the intents the real domain's ``form`` leaves to rules."""
    real = yaml.safe_load((BOT_DOMAIN / domain_file).read_text(encoding="utf-8"))
    domain = load_domain()
    domain["forms"][form]["ignored_intents"] = real["forms"][form]["ignored_intents"]
    return domain


def asked(
    form: str,
    requested: str,
    text: str,
    *,
    intent: str = "inform",
    candidates: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    earlier: list[dict[str, Any]] | None = None,
    faq: tuple[str, float] | None = None,
) -> Tracker:
    """The tracker ``validate_<form>`` gets for ``text`` while ``form`` asks for ``requested``.

    ``slots`` were set before the form started, ``earlier`` are events of this form run
    before the message, ``candidates`` what Rasa's slot mappings took from the message,
    ``faq`` the selector's (topic key, confidence) for it.
    """
    message = parse_data(text, intent)
    if faq is not None:
        key, confidence = faq
        message["response_selector"] = {
            "all_retrieval_intents": ["faq", "chitchat"],
            "faq": {
                "response": {"confidence": confidence, "intent_response_key": key},
                "ranking": [],
            },
        }
    events: list[dict[str, Any]] = [SessionStarted(), ActionExecuted("action_listen")]
    events += [SlotSet(k, v) for k, v in (slots or {}).items()]
    events += [ActionExecuted(form), ActiveLoop(form), *(earlier or [])]
    events += [ActionExecuted("action_listen"), user(text, intent) | {"parse_data": message}]
    events += [SlotSet("requested_slot", requested), ActionExecuted(form)]
    events += [SlotSet(k, v) for k, v in (candidates or {}).items()]
    state: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot":
            state[event["name"]] = event["value"]
    return tracker(slots=state, latest_message=message, events=events, active_loop=form)


def refused_pair(number: str, email: str) -> list[dict[str, Any]]:
    """A guest's number and e-mail given, then both cleared by a failed look-up."""
    return [
        SlotSet("order_number", number),
        SlotSet("requested_slot", "order_email"),
        ActionExecuted("action_listen"),
        user(email, "inform"),
        ActionExecuted("cancel_order_form"),
        SlotSet("order_email", email),
        SlotSet("order_number", None),
        SlotSet("order_email", None),
    ]


def signed_in(customer: Customer, **slots: Any) -> dict[str, Any]:
    return {"customer_id": str(customer.id), "customer_name": "Anna", **slots}


def set_to(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The value each slot was last set to by the action's events."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(dispatcher: Any) -> str:
    return " / ".join(str(t) for t in texts(dispatcher))
