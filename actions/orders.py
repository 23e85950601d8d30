"""Where is my order: ``order_status_form`` validation and ``action_order_status``."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, order_in_slots
from actions.forms_base import OrderFormValidation
from actions.services import Services
from store.repository import utcnow

# Orders in these states need no follow-up, so they are not kept as the open matter.
SETTLED_ORDER_STATUSES = ("delivered", "cancelled")


class ValidateOrderStatusForm(OrderFormValidation):
    """Checks the order number (and a guest's e-mail) of ``order_status_form``."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_order_status_form"


class ActionOrderStatus(ShopAction):
    """Tells the customer where their order is, and remembers it if it is still on its way."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_order_status"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Answer with the order's status, items, parcel and dates."""
        number, order = order_in_slots(tracker, services)
        if number is None:
            # The form was stopped before it had an order: it already said why.
            return []
        repo = services.repository
        if order is None:
            dispatcher.utter_message(text=messages.order_not_found(number))
            repo.record_outcome(tracker.sender_id, "order_lookup_refused", ref=number)
            return []
        dispatcher.utter_message(text=messages.order_status(order, utcnow()))
        repo.record_outcome(
            tracker.sender_id, "order_looked_up", ref=order.number, detail={"status": order.status}
        )
        if order.status not in SETTLED_ORDER_STATUSES:
            repo.set_open_matter(
                tracker.sender_id, {"kind": "order", "ref": order.number, "status": order.status}
            )
        return []
