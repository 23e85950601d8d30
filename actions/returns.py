"""Returns: ``return_form`` validation, ``action_create_return``, ``action_return_status``."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, asker, order_in_slots
from actions.forms_base import OrderFormValidation, SlotValues
from actions.messages import returns as return_words
from actions.parsing import as_text, looks_like_reason, match_order_line, parse_return_number
from actions.services import Services
from store.errors import OrderNotFound, Refused
from store.repository import utcnow
from store.rules import Refusal, return_refusal
from store.views import OrderLineView, OrderView, Outcome

# Return numbers in the store are never reused, so one that is still moving is worth
# remembering as the open matter; these are the states in which nothing moves any more.
SETTLED_RETURN_STATUSES = ("refunded", "rejected")
_REASON_LETTERS = re.compile(r"[^\W\d_]")
REASON_MAX_CHARS = 255


def line_named(order: OrderView, item: Any) -> OrderLineView | None:
    """The order line a validated ``return_item`` slot (a product title) stands for."""
    return match_order_line(item, order.lines).line


class ValidateReturnForm(OrderFormValidation):
    """Checks order, item and reason of ``return_form`` against the return rules."""

    own_slots = ("return_item", "return_reason")

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_return_form"

    def accept_order(
        self,
        order: OrderView,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
    ) -> SlotValues:
        """Refuse orders that can't be returned; pick the item when there is only one."""
        refusal = return_refusal(order, None, utcnow(), services.policy)
        if refusal is not None:
            self._record_refusal(tracker, services, order, refusal)
            return self.stop(dispatcher, messages.refusal_text(refusal, utcnow()))
        slots: SlotValues = {"order_number": order.number}
        if len(order.lines) == 1:
            slots["return_item"] = order.lines[0].title
        elif (
            tracker.get_slot("return_item") is not None
            and "return_item" not in tracker.slots_to_validate()
            and line_named(order, tracker.get_slot("return_item")) is None
        ):
            # An item chosen for a different order earlier in this form.
            slots["return_item"] = None
        return slots

    async def validate_return_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """An item of the order, named by title, words, ordinal or line number."""
        return await self.checked(self._check_return_item, value, dispatcher, tracker)

    def _check_return_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> SlotValues:
        _, order = order_in_slots(tracker, services)
        if order is None:
            # No order checked yet (or it was just refused): the item can't be matched.
            return {"return_item": None}
        match = match_order_line(value, order.lines)
        said_reason = tracker.slots_to_validate().get("return_reason")
        if match.line is None and not match.ambiguous and (said_reason or looks_like_reason(value)):
            # "it's broken" answers the next question, not this one: keep it as the reason
            # (the NLU's reason when it found one) and ask for the item again, with the
            # order's items as buttons.
            reason = as_text(said_reason or value)[:REASON_MAX_CHARS]
            dispatcher.utter_message(text=return_words.REASON_NOTED)
            return {"return_item": None, "return_reason": reason}
        if match.line is None:
            message = (
                messages.which_item(match.candidates, order)
                if match.ambiguous
                else messages.item_not_found(as_text(value), order)
            )
            return self.refuse(dispatcher, tracker, "return_item", message)
        refusal = return_refusal(order, match.line.id, utcnow(), services.policy)
        if refusal is not None:
            self._record_refusal(tracker, services, order, refusal)
            return self.refuse(
                dispatcher, tracker, "return_item", messages.refusal_text(refusal, utcnow())
            )
        return {"return_item": match.line.title}

    def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """Any reason in words (a word or two is enough)."""
        reason = as_text(value)
        if len(_REASON_LETTERS.findall(reason)) < 2:
            return self.refuse(dispatcher, tracker, "return_reason", messages.REASON_MISSING)
        if (
            tracker.get_slot("requested_slot") == "return_item"
            and "return_item" not in tracker.slots_to_validate()
        ):
            # The answer to "which item?" was a reason (actions/return_item_extraction.py):
            # say it was kept before the form asks for the item again.
            dispatcher.utter_message(text=return_words.REASON_NOTED)
        return {"return_reason": reason[:REASON_MAX_CHARS]}

    @staticmethod
    def _record_refusal(
        tracker: Tracker, services: Services, order: OrderView, refusal: Refusal
    ) -> None:
        services.repository.record_outcome(
            tracker.sender_id,
            Outcome.RETURN_REFUSED,
            ref=order.number,
            detail={"code": refusal.code},
        )


class ActionCreateReturn(ShopAction):
    """Opens the return the form collected."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_create_return"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Create the return, confirm it with its number, and reset the form's slots."""
        reset = [SlotSet("return_item", None), SlotSet("return_reason", None)]
        item, reason = tracker.get_slot("return_item"), tracker.get_slot("return_reason")
        number, order = order_in_slots(tracker, services)
        if number is None or item is None or reason is None:
            # The form stopped early and already said why.
            return reset
        repo = services.repository
        if order is None:
            dispatcher.utter_message(text=messages.order_not_found(number))
            return reset
        line = line_named(order, item)
        if line is None:
            dispatcher.utter_message(text=messages.item_not_found(str(item), order))
            return reset
        customer_id, email = asker(tracker)
        try:
            ret = repo.create_return(
                order.number, line.id, str(reason), customer_id=customer_id, email=email
            )
        except OrderNotFound:
            dispatcher.utter_message(text=messages.order_not_found(number))
            return reset
        except Refused as refused:
            dispatcher.utter_message(text=messages.refusal_text(refused.refusal, utcnow()))
            repo.record_outcome(
                tracker.sender_id,
                Outcome.RETURN_REFUSED,
                ref=order.number,
                detail={"code": refused.code},
            )
            return reset
        dispatcher.utter_message(text=messages.return_created(ret, order.currency, services.policy))
        repo.record_outcome(
            tracker.sender_id,
            Outcome.RETURN_CREATED,
            ref=ret.number,
            detail={"order": order.number, "line_id": line.id, "reason": ret.reason},
        )
        repo.set_open_matter(
            tracker.sender_id, {"kind": "return", "ref": ret.number, "status": ret.status}
        )
        return [*reset, SlotSet("return_number", ret.number)]


class ActionReturnStatus(ShopAction):
    """Tells the customer where a return stands."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_return_status"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Look the return up by number (a signed-in customer may leave it out)."""
        repo = services.repository
        customer_id, email = asker(tracker)
        said = tracker.get_slot("return_number")
        number = parse_return_number(said)
        if said is not None and number is None:
            dispatcher.utter_message(text=messages.not_a_return_number(as_text(said)))
            return [SlotSet("return_number", None)]
        if number is None and customer_id is None:
            dispatcher.utter_message(text=messages.ASK_RETURN_NUMBER)
            return []
        if number is not None and customer_id is None and email is None:
            # A guest proves the return is theirs with the order's e-mail.
            dispatcher.utter_message(response="utter_ask_order_email")
            return []
        if number is None:
            assert customer_id is not None  # a guest without a number was asked for one above
            ret = repo.latest_return(customer_id)
            if ret is None:
                dispatcher.utter_message(text=messages.NO_RETURNS_YET)
                return []
        else:
            ret = repo.find_return_for(number, customer_id=customer_id, email=email)
            if ret is None:
                dispatcher.utter_message(text=messages.return_not_found(number))
                return [SlotSet("return_number", None)]
        order = repo.find_order_for(ret.order_number, customer_id=customer_id, email=email)
        currency = order.currency if order is not None else services.policy.currency
        dispatcher.utter_message(text=messages.return_status(ret, currency, utcnow()))
        repo.record_outcome(
            tracker.sender_id,
            Outcome.RETURN_STATUS_CHECKED,
            ref=ret.number,
            detail={"status": ret.status},
        )
        if ret.status not in SETTLED_RETURN_STATUSES:
            repo.set_open_matter(
                tracker.sender_id, {"kind": "return", "ref": ret.number, "status": ret.status}
            )
        return [SlotSet("return_number", ret.number)]
