"""Where is my order: ``order_status_form`` validation and ``action_order_status``."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, customer_id_of, order_in_slots
from actions.forms_base import OrderFormValidation
from actions.promotions import active_matters, offer_at
from actions.recommendations import suggest_bought_together
from actions.services import STORE_UNAVAILABLE, Services
from promotions.decision import OfferContext
from promotions.triggers import Trigger
from store.repository import utcnow
from store.views import OrderView, Outcome

logger = logging.getLogger(__name__)

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
            repo.record_outcome(tracker.sender_id, Outcome.ORDER_LOOKUP_REFUSED, ref=number)
            return []
        dispatcher.utter_message(text=messages.order_status(order, utcnow(), services.policy))
        repo.record_outcome(
            tracker.sender_id,
            Outcome.ORDER_LOOKED_UP,
            ref=order.number,
            detail={"status": order.status},
        )
        if order.status not in SETTLED_ORDER_STATUSES:
            repo.set_open_matter(
                tracker.sender_id, {"kind": "order", "ref": order.number, "status": order.status}
            )
        follow_up_answered_order(dispatcher, tracker, services, order)
        return []


def follow_up_answered_order(
    dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, order: OrderView
) -> None:
    """Once the order question is answered: what goes with it, and an offer if one fits.

    Both run inside ``action_order_status`` rather than as dialogue steps after it, so the
    stories that end with ``action_order_status`` stay valid. A failing suggestion is
    logged and left out; the customer already has their answer.
    """
    try:
        suggest_bought_together(dispatcher, tracker, services, order)
    except STORE_UNAVAILABLE:
        raise
    except Exception:
        logger.exception("bought-together suggestion for order %s failed", order.number)
    context = OfferContext(Trigger.AFTER_ORDER_RESOLVED, active_matters=active_matters(tracker))
    offer = offer_at(services, tracker.sender_id, customer_id_of(tracker), context)
    if offer is not None:
        dispatcher.utter_message(text=offer.text, buttons=list(offer.buttons))
