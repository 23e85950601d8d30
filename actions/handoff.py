"""Handing the conversation to a person: queue the request for the console's agents."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, customer_id_of
from actions.services import Services
from store.repository import utcnow
from store.views import Outcome

REASON_MAX_CHARS = 500
YES_NO = frozenset({"affirm", "deny"})


def handoff_reason(tracker: Tracker) -> str | None:
    """What the customer said when asking for a person (the agent reads it first).

    A "Talk to a person" button sends ``/request_human``, which tells the agent nothing:
    the customer's last typed message (the complaint, the address to change) is the reason.
    """
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        text = (event.get("text") or "").strip()
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        # A typed "yes" to "shall I pass you on?" says no more than the button would.
        if text and not text.startswith("/") and intent not in YES_NO:
            return text[:REASON_MAX_CHARS]
    text = (tracker.latest_message.get("text") or "").strip()
    if text.startswith("/"):
        return None
    return text[:REASON_MAX_CHARS] or None


class ActionHandoff(ShopAction):
    """Puts the customer in the queue for a human agent (once, while they wait)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_handoff"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Queue the request and tell the customer what happens next."""
        asked_at = utcnow()
        handoff = services.repository.request_handoff(
            tracker.sender_id, customer_id_of(tracker), handoff_reason(tracker)
        )
        # request_handoff hands back the waiting request when there is one already.
        already_waiting = handoff.created_at < asked_at
        dispatcher.utter_message(text=messages.handoff_requested(already_waiting))
        if not already_waiting:
            services.repository.record_outcome(
                tracker.sender_id, Outcome.HANDOFF_REQUESTED, ref=str(handoff.id)
            )
        return []
