"""What the three order forms share: order number and guest e-mail checks, refusals.

A signed-in customer names an order and must own it; a guest also gives the order's
e-mail address. Unknown numbers, other people's orders and wrong e-mails all get the
same answer, so nobody learns which order numbers exist. A refused value sets its slot to
``None`` so the form asks again; the third refusal of a slot offers a human and stops the
form. A subclass decides what it can do with a found order (``accept_order``) and may stop
the form with the reason.

A signed-in customer never has to type a number: with one order that suits the form it
is filled at activation (``extract_order_number``), her words ("my last order", "the lamp
one", "last week") are resolved against her orders, and otherwise she picks one of her
orders from buttons (``actions.own_orders``). A value must look like what it fills before
it is stored or shown back: a word the form took from a message that was not an answer
("this is the third time I'm asking…") is dropped without a word.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict
from rasa_sdk.utils import call_potential_coroutine

from actions import messages
from actions.base import EventList, customer_id_of, record_activity, store_unreachable
from actions.faq import answer_topic
from actions.form_turns import (
    FREE_TEXT_SLOTS,
    ORDER_SLOTS,
    asked_slot,
    carries_order_value,
    faq_digression,
    is_direct_answer,
    latest_text,
    order_number_said,
    refusals_so_far,
    ruled_elsewhere,
    stop_wins,
)
from actions.frustration import apologise_if_frustrated
from actions.messages import orders as order_words
from actions.multi_intent import answer_while_form_waits
from actions.order_reference import resolve_reference
from actions.own_orders import fitting_orders, own_orders
from actions.parsing import as_text, parse_email, parse_order_number, wants_to_leave
from actions.services import STORE_UNAVAILABLE, Services, get_services
from store.repository import utcnow
from store.views import OrderView, Outcome

MAX_REFUSALS = 3
_DIGIT = re.compile(r"\d")
SlotValues = dict[str, Any]
Check = Callable[[Any, CollectingDispatcher, Tracker, Services], SlotValues]


class OrderFormValidation(FormValidationAction, ABC):
    """Validation of ``order_number`` (+ ``order_email`` for guests) shared by the forms."""

    # The slots this form fills besides the order number and e-mail; cleared when it stops.
    own_slots: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str:
        """The validation action's name, ``validate_<form name>``."""

    def accept_order(
        self,
        order: OrderView,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
    ) -> SlotValues:
        """Slots to set once the asker's order is found; may refuse it (``stop``)."""
        return {"order_number": order.number}

    # -- the form's slots ---------------------------------------------------------------

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The domain's slots, with ``order_email`` right after the number for guests only."""
        slots = [s for s in domain_slots if s != "order_email"]
        if "order_number" not in slots:
            slots.insert(0, "order_number")
        if customer_id_of(tracker) is None:
            slots.insert(slots.index("order_number") + 1, "order_email")
        return slots

    async def extract_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """A corrected number, or at the form's start the signed-in customer's order.

        "Where's my parcel?" with one open order, or "my last order", needs no question;
        with several that fit, the form asks with her orders as buttons.
        """
        corrected = order_number_said(tracker, self.form_name())
        if corrected:
            return corrected
        customer_id = customer_id_of(tracker)
        if (
            customer_id is None
            or tracker.get_slot("order_number") is not None
            or tracker.get_slot(REQUESTED_SLOT) == "order_number"
        ):
            return {}
        try:
            return await asyncio.to_thread(self._own_order_at_start, tracker, customer_id)
        except STORE_UNAVAILABLE:
            # validate_order_number (or the ask) meets the outage and says so.
            return {}

    def _own_order_at_start(self, tracker: Tracker, customer_id: int) -> SlotValues:
        services = get_services()
        orders = own_orders(services, customer_id)
        now = utcnow()
        meant = resolve_reference(latest_text(tracker), orders, now)
        if meant.order is not None:
            return {"order_number": meant.order.number}
        if meant.referred:
            return {}
        fitting = fitting_orders(self.form_name(), orders, now, services.policy)
        return {"order_number": fitting[0].number} if len(fitting) == 1 else {}

    def extract_order_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """While the form asks for the order, the e-mail in the message, whatever the intent.

        Also defined because guests need the slot even when the domain's form does not list
        it, and rasa_sdk warns on every turn about required slots it cannot extract.
        """
        if asked_slot(tracker, self.form_name()) not in ORDER_SLOTS:
            return {}
        email = parse_email(latest_text(tracker))
        return {} if email is None else {"order_email": email}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """Validate the new slot values in the form's order, so later checks see the order.

        Unlike rasa_sdk's version the order is the form's, not the message's: the item to
        return can only be matched once the order number has been checked. A slot an
        earlier check already decided is not checked again, and a stopped form stops.
        """
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        candidates = tracker.slots_to_validate()
        decided: SlotValues = {}
        for slot in required:
            if slot not in candidates or slot in decided or candidates[slot] is None:
                continue
            validate = getattr(self, f"validate_{slot}", None)
            output = (
                {slot: candidates[slot]}
                if validate is None
                else await call_potential_coroutine(
                    validate(candidates[slot], dispatcher, tracker, domain)
                )
            )
            decided.update(output)
            tracker.slots.update(output)
            if REQUESTED_SLOT in output and output[REQUESTED_SLOT] is None:
                break
        return [SlotSet(slot, value) for slot, value in decided.items()]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """Record the session's activity, validate, and let a stop decision stand."""
        try:
            await asyncio.to_thread(lambda: record_activity(get_services(), tracker))
        except STORE_UNAVAILABLE:
            store_unreachable(dispatcher, self.name())
            return [SlotSet(slot, value) for slot, value in self.stop_slots().items()]
        # An upset customer reads an apology first, then the form's answer (issue 14).
        apologise_if_frustrated(dispatcher, tracker)
        instead = await self.off_the_question(dispatcher, tracker, domain)
        if instead is not None:
            return [SlotSet(slot, value) for slot, value in instead.items()]
        events = stop_wins(await super().run(dispatcher, tracker, domain))
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return events + await answer_while_form_waits(dispatcher, tracker, required, events)

    async def off_the_question(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues | None:
        """A "leave it" or a policy question typed instead of the answer; None for an answer.

        "Leave it" ends the form as the ``stop`` intent does. A policy question the FAQ
        selector is sure of is answered, and the form asks its question again: the words
        typed this turn fill nothing. A message that carries an order number or e-mail
        while the form asks for one is an answer, and one whose intent the form ignores
        is left to its rule (the NLU read "stop" or the FAQ already).
        """
        slot = asked_slot(tracker, self.form_name())
        said = latest_text(tracker)
        if (
            slot not in FREE_TEXT_SLOTS
            or (slot in ORDER_SLOTS and carries_order_value(said))
            or ruled_elsewhere(tracker, domain, self.form_name())
        ):
            return None
        if wants_to_leave(said):
            dispatcher.utter_message(response="utter_form_stopped")
            return self.stop_slots()
        topic = faq_digression(tracker)
        if topic is None:
            return None
        try:
            answered = await asyncio.to_thread(
                lambda: answer_topic(dispatcher, tracker, get_services(), topic)
            )
        except STORE_UNAVAILABLE:
            store_unreachable(dispatcher, self.name())
            return self.stop_slots()
        if not answered:
            return None
        taken = [s for s in tracker.slots_to_validate() if s in FREE_TEXT_SLOTS]
        return dict.fromkeys([slot, *taken])

    # -- helpers for the checks ---------------------------------------------------------

    async def checked(
        self, check: Check, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> SlotValues:
        """Run a blocking store check in a worker thread; an outage stops the form."""
        try:
            return await asyncio.to_thread(
                lambda: check(value, dispatcher, tracker, get_services())
            )
        except STORE_UNAVAILABLE:
            store_unreachable(dispatcher, self.name())
            return self.stop_slots()

    def stop_slots(self) -> SlotValues:
        """Slot values that end the form and forget what it collected."""
        return {"order_number": None, **dict.fromkeys(self.own_slots), REQUESTED_SLOT: None}

    def stop(self, dispatcher: CollectingDispatcher, message: str) -> SlotValues:
        """Tell the customer why the form can't go on, and end it."""
        dispatcher.utter_message(text=message)
        return self.stop_slots()

    def refuse(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        slot: str,
        message: str,
        *,
        also_clear: tuple[str, ...] = (),
    ) -> SlotValues:
        """Say why a value is refused and ask again; the third refusal offers a human."""
        dispatcher.utter_message(text=message)
        result: SlotValues = {slot: None, **dict.fromkeys(also_clear)}
        if refusals_so_far(tracker, self.form_name(), slot) + 1 >= MAX_REFUSALS:
            dispatcher.utter_message(response="utter_offer_human")
            result.update(self.stop_slots())
        return result

    # -- order number and e-mail --------------------------------------------------------

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """An order number the asker may see (a guest's is checked with the e-mail)."""
        return await self.checked(self._check_order_number, value, dispatcher, tracker)

    async def validate_order_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotValues:
        """A well-formed e-mail that matches the guest's order."""
        return await self.checked(self._check_order_email, value, dispatcher, tracker)

    def _check_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> SlotValues:
        number = parse_order_number(value)
        customer_id = customer_id_of(tracker)
        if number is None and customer_id is not None:
            named = self._own_order_named(value, dispatcher, tracker, services)
            if named is not None:
                return named
        if number is None:
            if not is_direct_answer(tracker, "order_number") or parse_email(latest_text(tracker)):
                # Not an answer, or the e-mail (a correction) was: nothing to say back.
                return {"order_number": None}
            return self.refuse(
                dispatcher, tracker, "order_number", messages.not_an_order_number(as_text(value))
            )
        email = None
        if customer_id is None:
            email = parse_email(tracker.get_slot("order_email"))
            if email is None:
                # A guest proves the order is theirs with its e-mail, which comes next.
                return {"order_number": number}
        return self._look_up(number, customer_id, email, dispatcher, tracker, services)

    def _check_order_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> SlotValues:
        email = parse_email(value)
        if email is None and (
            not is_direct_answer(tracker, "order_email")
            or parse_order_number(latest_text(tracker)) is not None
        ):
            # Not an answer, or the order number (a correction) was: nothing to say back.
            return {"order_email": None}
        if email is None:
            return self.refuse(dispatcher, tracker, "order_email", messages.NOT_AN_EMAIL)
        number = parse_order_number(tracker.get_slot("order_number"))
        if number is None or "order_number" in tracker.slots_to_validate():
            # Either no order yet, or its check in this same turn already used this e-mail.
            return {"order_email": email}
        return {
            "order_email": email,
            **self._look_up(number, None, email, dispatcher, tracker, services),
        }

    def _own_order_named(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> SlotValues | None:
        """A signed-in customer's words instead of a number: which of her orders they mean.

        Several that fit are left to the ask, which shows them as buttons; words that
        named an order she doesn't have are said back only when they answered the question.
        None when she has no orders to choose from (she is answered like a guest).
        """
        customer_id = customer_id_of(tracker)
        assert customer_id is not None  # only signed-in customers get here
        orders = own_orders(services, customer_id)
        if not orders:
            return None
        now = utcnow()
        said = latest_text(tracker) or as_text(value)
        meant = resolve_reference(said, orders, now)
        direct = is_direct_answer(tracker, "order_number")
        chosen = meant.order
        if chosen is None and not meant.referred and not direct:
            # "where the hell is my order": the one order that suits the form, if only one.
            fitting = fitting_orders(self.form_name(), orders, now, services.policy)
            chosen = fitting[0] if len(fitting) == 1 else None
        if chosen is not None:
            return self._look_up(chosen.number, customer_id, None, dispatcher, tracker, services)
        if direct and meant.referred and not meant.orders:
            return self.refuse(
                dispatcher, tracker, "order_number", order_words.own_order_not_matched(said)
            )
        if direct and not meant.referred and _DIGIT.search(as_text(value)):
            return self.refuse(
                dispatcher, tracker, "order_number", messages.not_an_order_number(as_text(value))
            )
        # Several fit, or nothing was said about an order: the ask shows her orders.
        return {"order_number": None}

    def _look_up(
        self,
        number: str,
        customer_id: int | None,
        email: str | None,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
    ) -> SlotValues:
        repo = services.repository
        order = repo.find_order_for(number, customer_id=customer_id, email=email)
        if order is None:
            repo.record_outcome(
                tracker.sender_id,
                Outcome.ORDER_LOOKUP_REFUSED,
                ref=number,
                detail={"form": self.form_name()},
            )
            # A guest's e-mail may be the wrong half of the pair: ask for both again.
            also = ("order_email",) if customer_id is None else ()
            return self.refuse(
                dispatcher,
                tracker,
                "order_number",
                messages.order_not_found(number),
                also_clear=also,
            )
        return self.accept_order(order, dispatcher, tracker, services)
