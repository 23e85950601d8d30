"""Session start, greeting and goodbye: who the customer is and what they asked last time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, BotUttered, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, current_session_events, record_activity
from actions.promotions import is_offer, offer_at
from actions.services import Services
from promotions.decision import OfferContext
from promotions.triggers import Trigger, blocking_matters
from store.repository import ShopRepository
from store.views import CustomerView, SessionView

logger = logging.getLogger(__name__)

DEFAULT_CHANNEL = "web"
SESSION_START_METADATA_SLOT = "session_started_metadata"
# Slots that describe one customer's business; they must not follow a conversation over
# to a different customer (or to a guest) when the sender's identity changes.
PERSONAL_SLOTS = ("order_number", "order_email", "return_number")
# An open matter stops being worth a reminder once it reaches one of these.
FINAL_STATUSES = {"order": ("delivered", "cancelled"), "return": ("refunded", "rejected")}


def carries_over_slots(domain: DomainDict) -> bool:
    """The domain's ``carry_over_slots_to_new_session`` (Rasa's default is true)."""
    config = domain.get("session_config") or {}
    return bool(config.get("carry_over_slots_to_new_session", True))


def carried_over_slots(tracker: Tracker) -> EventList:
    """The previous session's SlotSet events, replayed as Rasa's own ActionSessionStart does."""
    return [
        SlotSet(event["name"], event.get("value"))
        for event in tracker.applied_events()
        if event.get("event") == "slot"
    ]


def latest_event_time(tracker: Tracker) -> datetime | None:
    """When the latest event the tracker held before this session start happened (UTC,
    naive, as the store keeps times); None for a tracker without timestamps.

    Rasa appends the session's metadata slot just before calling the action, stamped now;
    it is not part of what was stored, so it is passed over. A tracker that holds nothing
    else has stored nothing yet (Rasa writes a new conversation's events only when its
    first turn ends): its latest event is ``datetime.min``, before any open session.
    """
    stored = False
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == SESSION_START_METADATA_SLOT:
            continue
        stored = True
        stamp = event.get("timestamp")
        if isinstance(stamp, (int, float)):
            return datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)
    return None if stored else datetime.min


def channel_of(tracker: Tracker) -> str:
    """The channel the conversation comes from: session metadata, else message metadata."""
    for metadata in (
        tracker.get_slot(SESSION_START_METADATA_SLOT),
        tracker.latest_message.get("metadata"),
    ):
        if isinstance(metadata, dict) and metadata.get("channel"):
            return str(metadata["channel"])
    return DEFAULT_CHANNEL


def _current_status(repo: ShopRepository, matter: dict[str, Any], customer_id: int) -> str | None:
    ref = str(matter.get("ref") or "")
    if not ref:
        return None
    if matter.get("kind") == "return":
        ret = repo.find_return_for(ref, customer_id=customer_id, email=None)
        return ret.status if ret else None
    order = repo.find_order_for(ref, customer_id=customer_id, email=None)
    return order.status if order else None


def follow_up_open_matter(
    repo: ShopRepository, sender_id: str, customer: CustomerView, previous: SessionView
) -> str | None:
    """The reminder for the previous session's open matter if its state has changed.

    A matter that is not finished yet moves on to the new session, so the customer is
    told again when it changes next.
    """
    matter = previous.open_matter
    if not matter:
        return None
    status = _current_status(repo, matter, customer.id)
    if status is None:
        return None
    if status not in FINAL_STATUSES.get(str(matter.get("kind")), ()):
        repo.set_open_matter(sender_id, {**matter, "status": status})
    if status == matter.get("status"):
        return None
    return messages.matter_update(matter, status)


class ActionSessionStart(ShopAction):
    """Starts a session: carries slots over, resolves the customer, welcomes them back."""

    # The tracker still holds the ending session; act() records it only if the store
    # has that session open, so a first visit does not leave an empty session behind.
    records_activity = False
    # Nothing was asked yet: an outage starts the session silently, as a guest.
    apologises_when_store_unreachable = False

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_session_start"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Emit SessionStarted, carried-over and identity slots, greetings, action_listen."""
        repo = services.repository
        known_until = latest_event_time(tracker)
        # Close the books of the ending session, if the store has one open for this sender
        # that the tracker knows of (one started after its latest event is being resumed).
        open_session = repo.current_session(tracker.sender_id)
        if open_session is not None and (
            known_until is None or open_session.started_at <= known_until
        ):
            record_activity(services, tracker)

        events: EventList = [SessionStarted()]
        if carries_over_slots(domain):
            events.extend(carried_over_slots(tracker))

        channel = channel_of(tracker)
        customer = repo.customer_for_sender(tracker.sender_id, channel)
        customer_id = customer.id if customer else None
        session = repo.start_session(
            tracker.sender_id, customer_id, channel, known_until=known_until
        )
        events.extend(self._identity_slots(tracker, customer))

        said: list[str] = []
        offer_event: EventList = []
        if customer is not None:
            previous = repo.previous_session(customer.id, session.id)
            if previous is not None:
                said.append(messages.welcome_back(customer.display_name))
                reminder = follow_up_open_matter(repo, tracker.sender_id, customer, previous)
                if reminder:
                    said.append(reminder)
                offer_event = self._returning_offer(services, tracker.sender_id, customer, previous)
        events.extend(BotUttered(text=text) for text in said)
        events.extend(offer_event)
        events.append(SlotSet("greeted", bool(said)))
        events.append(ActionExecuted("action_listen"))
        return events

    @staticmethod
    def _returning_offer(
        services: Services, sender_id: str, customer: CustomerView, previous: SessionView
    ) -> EventList:
        """The offer for a returning customer, unless their last visit left a blocking matter."""
        matter = (previous.open_matter or {}).get("kind")
        context = OfferContext(
            Trigger.RETURNING_SESSION_START, active_matters=blocking_matters([matter])
        )
        offer = offer_at(services, sender_id, customer.id, context)
        if offer is None:
            return []
        return [BotUttered(text=offer.text, data={"buttons": list(offer.buttons)})]

    @staticmethod
    def _identity_slots(tracker: Tracker, customer: CustomerView | None) -> EventList:
        new_id = str(customer.id) if customer else None
        slots = [
            SlotSet("customer_id", new_id),
            SlotSet("customer_name", customer.display_name if customer else None),
        ]
        previous_id = tracker.get_slot("customer_id")
        if previous_id not in (None, "") and str(previous_id) != new_id:
            slots.extend(SlotSet(name, None) for name in PERSONAL_SLOTS)
        return slots

    def when_store_unreachable(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """Start the session silently, as a guest: no identity is better than a stale one."""
        events: EventList = [SessionStarted()]
        if carries_over_slots(domain):
            events.extend(carried_over_slots(tracker))
        events.extend(self._identity_slots(tracker, None))
        events.append(SlotSet("greeted", False))
        events.append(ActionExecuted("action_listen"))
        return events


class ActionGreet(ShopAction):
    """Greets the customer, by name when signed in."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_greet"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Say hello and remember that we did — once: not after the session start's welcome."""
        opening = session_opening(tracker)
        if opening is None:
            dispatcher.utter_message(text=messages.greeting(tracker.get_slot("customer_name")))
        elif not any(is_offer(event) for event in opening):
            # "Welcome back, Anna!" already opened this very reply.
            dispatcher.utter_message(text=messages.HOW_CAN_I_HELP)
        # After the welcome and an offer, the offer's question is the last word.
        return [SlotSet("greeted", True)]


def session_opening(tracker: Tracker) -> list[dict[str, Any]] | None:
    """What action_session_start said, when the latest message opened this session.

    The session start runs when the first message of a session arrives, so its welcome
    and offer reach the customer in the same reply as the answer to that message. None
    when the session start said nothing or an earlier message of the session came first.
    """
    events = current_session_events(tracker)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) != 1:
        return None
    said = [e for e in events[: users[0]] if e.get("event") == "bot"]
    return said or None


class ActionGoodbye(ShopAction):
    """Says goodbye and closes the session in the store's history."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_goodbye"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Say goodbye; the store session ends here (web senders rarely come back)."""
        dispatcher.utter_message(text=messages.goodbye(tracker.get_slot("customer_name")))
        services.repository.end_session(tracker.sender_id)
        return []
