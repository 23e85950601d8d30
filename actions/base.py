"""What every custom action shares: the store-aware base class and tracker helpers.

``ShopAction.run`` keeps the session history complete (turns and intents of the current
Rasa session) before the action's own work, runs the blocking store calls in a worker
thread so one slow database call does not stall other conversations, and turns an
unreachable database into a polite answer instead of an exception.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.frustration import apologise_if_frustrated
from actions.messages import STORE_UNREACHABLE
from actions.metrics import timed_action
from actions.parsing import parse_email, parse_order_number
from actions.services import STORE_UNAVAILABLE, Services, get_services
from store.views import OrderView

logger = logging.getLogger(__name__)

EventList = list[dict[str, Any]]


def customer_id_of(tracker: Tracker) -> int | None:
    """The signed-in customer's id from the ``customer_id`` slot, or None for a guest."""
    value = tracker.get_slot("customer_id")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        # The value is not logged: whatever it holds may be personal data.
        logger.warning(
            "Ignoring a customer_id slot that is not a number (sender %s)", tracker.sender_id
        )
        return None


def asker(tracker: Tracker) -> tuple[int | None, str | None]:
    """(customer id, None) for a signed-in customer, (None, order e-mail or None) for a guest."""
    customer_id = customer_id_of(tracker)
    if customer_id is not None:
        return customer_id, None
    return None, parse_email(tracker.get_slot("order_email"))


def order_in_slots(tracker: Tracker, services: Services) -> tuple[str | None, OrderView | None]:
    """The order number in the slots, and its order if the asker may see it.

    A signed-in customer must own the order; a guest must have given its e-mail.
    """
    number = parse_order_number(tracker.get_slot("order_number"))
    if number is None:
        return None, None
    customer_id, email = asker(tracker)
    if customer_id is None and email is None:
        return number, None
    order = services.repository.find_order_for(number, customer_id=customer_id, email=email)
    return number, order


def current_session_events(tracker: Tracker) -> list[dict[str, Any]]:
    """The tracker's events since the latest ``session_started`` (all of them if none).

    Read from the end: Rasa sends every session the sender ever had, and only the last
    one is wanted.
    """
    events = tracker.events or []
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index + 1 :]
    return events[:]


def intent_of(user_event: dict[str, Any]) -> str | None:
    """A user event's intent; retrieval intents with their topic, e.g. ``faq/warranty``."""
    parse_data = user_event.get("parse_data") or {}
    intent = (parse_data.get("intent") or {}).get("name")
    if not intent:
        return None
    selector = (parse_data.get("response_selector") or {}).get(intent) or {}
    full = (selector.get("response") or {}).get("intent_response_key")
    return full or intent


def session_activity(tracker: Tracker) -> tuple[int, list[str]]:
    """(user turns, intents in order) of the tracker's current Rasa session."""
    users = [e for e in current_session_events(tracker) if e.get("event") == "user"]
    intents = [name for name in (intent_of(e) for e in users) if name]
    return len(users), intents


def record_activity(services: Services, tracker: Tracker) -> None:
    """Store the session's turns and intents so far (the session history stays complete)."""
    turns, intents = session_activity(tracker)
    services.repository.record_activity(tracker.sender_id, turns, intents)


def store_unreachable(
    dispatcher: CollectingDispatcher, action_name: str, *, apologise: bool = True
) -> None:
    """What every action and form does when the store cannot be reached, in one place.

    The outage is logged with its traceback; whatever the action said before the failure is
    half a story, so it is dropped; and the customer is told the order system is down
    (unless ``apologise`` is false, for an action that has a quieter way out).
    """
    logger.exception("%s: the store is unreachable", action_name)
    dispatcher.messages.clear()
    if apologise:
        dispatcher.utter_message(text=STORE_UNREACHABLE)


class ShopAction(Action, ABC):
    """A custom action that works on the store; subclasses implement ``act``."""

    # Whether ``run`` stores the session's turns and intents before ``act``.
    records_activity = True
    # Whether the customer is told when the store is unreachable (see ``store_unreachable``).
    apologises_when_store_unreachable = True

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @abstractmethod
    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """The action's work: read the tracker, call the store, return events."""

    def records_activity_now(self, tracker: Tracker) -> bool:
        """Whether this call stores the session's turns and intents (``records_activity``)."""
        return self.records_activity

    def when_store_unreachable(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """The events to apply anyway once the store turned out unreachable (none)."""
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """Record the session's activity, then act; a database outage gets an apology."""
        return await asyncio.to_thread(self._run_in_thread, dispatcher, tracker, domain)

    def _run_in_thread(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        try:
            with timed_action(self.name()):
                services = get_services()
                if self.records_activity_now(tracker):
                    record_activity(services, tracker)
                # An upset customer reads an apology first, then the answer (issue 14).
                apologise_if_frustrated(dispatcher, tracker)
                return self.act(dispatcher, tracker, domain, services)
        except STORE_UNAVAILABLE:
            store_unreachable(
                dispatcher, self.name(), apologise=self.apologises_when_store_unreachable
            )
            return self.when_store_unreachable(dispatcher, tracker, domain)
