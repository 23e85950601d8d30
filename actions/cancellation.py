"""Cancelling an order: ``cancel_order_form`` validation and ``action_cancel_order``."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, asker, customer_id_of
from actions.form_turns import asked_slot, latest_text, ruled_elsewhere
from actions.forms_base import OrderFormValidation, SlotValues
from actions.own_orders import fitting_orders, own_orders
from actions.parsing import parse_order_number, wants_to_leave
from actions.services import Services
from store.errors import OrderNotFound, Refused
from store.repository import utcnow
from store.rules import cancel_refusal
from store.views import OrderView, Outcome

_YES = {"true", "yes", "y", "1"}
_NO = {"false", "no", "n", "0"}


def as_confirmation(value: Any) -> bool | None:
    """The ``cancel_confirm`` slot as a bool (Rasa may hand it over as text), else None."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def _another_to_cancel(order: OrderView, tracker: Tracker, services: Services) -> bool:
    """Whether the signed-in asker has an order other than ``order`` that can be cancelled."""
    customer_id = customer_id_of(tracker)
    if customer_id is None:
        return False
    orders = own_orders(services, customer_id)
    cancellable = fitting_orders("cancel_order_form", orders, utcnow(), services.policy)
    return any(o.number != order.number for o in cancellable)


class ValidateCancelOrderForm(OrderFormValidation):
    """Checks that the order can still be cancelled before asking for confirmation."""

    own_slots = ("cancel_confirm",)

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_cancel_order_form"

    def accept_order(
        self,
        order: OrderView,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
    ) -> SlotValues:
        """A shipped, delivered or cancelled order is refused with the reason.

        A signed-in customer with another order that can still be cancelled may have meant
        that one ("sorry, I meant …"): the form asks again, with her orders as buttons.
        Otherwise the form ends.
        """
        refusal = cancel_refusal(order, utcnow())
        if refusal is None:
            return {"order_number": order.number}
        services.repository.record_outcome(
            tracker.sender_id,
            Outcome.CANCEL_REFUSED,
            ref=order.number,
            detail={"code": refusal.code},
        )
        reason = messages.refusal_text(refusal, utcnow())
        if _another_to_cancel(order, tracker, services):
            return self.refuse(dispatcher, tracker, "order_number", reason)
        return self.stop(dispatcher, reason)

    def extract_cancel_confirm(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """A "leave it" to "shall I cancel it?" keeps the order, however the NLU read it.

        Read as ``stop``, it is left to the stop rule, which keeps the order too.
        """
        if (
            asked_slot(tracker, self.form_name()) == "cancel_confirm"
            and wants_to_leave(latest_text(tracker))
            and not ruled_elsewhere(tracker, domain, self.form_name())
        ):
            return {"cancel_confirm": False}
        return {}

    def validate_cancel_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """A clear yes or no."""
        confirmed = as_confirmation(value)
        if confirmed is None:
            return self.refuse(dispatcher, tracker, "cancel_confirm", messages.ASK_CANCEL_YES_NO)
        return {"cancel_confirm": confirmed}


class ActionCancelOrder(ShopAction):
    """Cancels the order once the customer confirmed."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_cancel_order"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Cancel only on a confirmed yes; always reset the confirmation."""
        reset = [SlotSet("cancel_confirm", None)]
        confirmed = as_confirmation(tracker.get_slot("cancel_confirm"))
        number = parse_order_number(tracker.get_slot("order_number"))
        if number is None or confirmed is None:
            # The form stopped early and already said why.
            return reset
        if not confirmed:
            dispatcher.utter_message(text=messages.cancel_kept(number))
            return reset
        repo = services.repository
        customer_id, email = asker(tracker)
        try:
            cancelled = repo.cancel_order(number, customer_id=customer_id, email=email)
        except OrderNotFound:
            dispatcher.utter_message(text=messages.order_not_found(number))
            return reset
        except Refused as refused:
            # The order moved on (e.g. shipped) between the question and the answer.
            dispatcher.utter_message(text=messages.refusal_text(refused.refusal, utcnow()))
            repo.record_outcome(
                tracker.sender_id, Outcome.CANCEL_REFUSED, ref=number, detail={"code": refused.code}
            )
            return reset
        dispatcher.utter_message(text=messages.order_cancelled(cancelled))
        repo.record_outcome(tracker.sender_id, Outcome.ORDER_CANCELLED, ref=cancelled.number)
        # A cancelled order is settled: nothing to remind the customer about.
        current = repo.current_session(tracker.sender_id)
        if current and current.open_matter and current.open_matter.get("ref") == cancelled.number:
            repo.set_open_matter(tracker.sender_id, None)
        return reset
