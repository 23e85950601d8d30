"""A policy question asked with an order task, answered by the form when it has to ask first.

The validation action gets the tracker Rasa sends at the form's activation: the
multi-intent message, ``faq_pending`` set by its mapping, and the slots Rasa took from it.
When the form still needs something (a guest's e-mail, "are you sure?"), the question is
answered before the form asks, and ``faq_pending`` is cleared so the rules do not answer it
again; when the message held everything, the task goes first and the question waits for
the rules (tests/actions/test_multi_intent.py).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet

from actions.cancellation import ValidateCancelOrderForm
from actions.messages import policy_answer
from actions.messages.multi_intent import answer_before_question
from actions.multi_intent import form_waits
from actions.orders import ValidateOrderStatusForm
from actions.services import get_services
from tests.actions.form_turn_support import set_to, signed_in
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import SENDER, parse_data, run, texts, tracker, user
from tests.factories import add_order


def activation(form: str, text: str, intent: str, topic: str, number: str, **slots: Any) -> Tracker:
    """The tracker ``validate_<form>`` gets when ``text``, naming order ``number``, starts
    ``form``: ``slots`` set before, ``faq_pending`` by its mapping, the number prefilled."""
    message = parse_data(text, "faq", retrieval_key=f"faq/{topic}")
    message["intent"] = {"name": intent, "confidence": 0.95}
    message["intent_ranking"] = [message["intent"]]
    events = [SessionStarted(), ActionExecuted("action_listen")]
    events += [SlotSet(k, v) for k, v in slots.items()]
    events += [user(text, intent) | {"parse_data": message}, SlotSet("faq_pending", True)]
    events += [ActionExecuted(form), SlotSet("order_number", number)]
    state = {**slots, "faq_pending": True, "order_number": number}
    return tracker(slots=state, latest_message=message, events=events)


def answer(topic: str) -> str:
    return answer_before_question(policy_answer(get_services().policy, topic))


async def test_a_guest_gets_the_answer_before_the_email_is_asked(shop: Shop) -> None:
    add_order(shop.sessions, number="10555", email="robin.hale@example.org", status="shipped")
    t = activation(
        "order_status_form",
        "where's order 10555? and how long does delivery take",
        "order_status+faq",
        "shipping_times",
        "10555",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert texts(dispatcher) == [answer("shipping_times")]
    assert "working day" in texts(dispatcher)[0]  # the policy's figures
    assert set_to(events)["faq_pending"] is None
    assert set_to(events)["order_number"] == "10555"  # the task goes on: e-mail next
    session = shop.repo.current_session(SENDER)
    assert [(o.kind, o.ref) for o in session.outcomes] == [("faq_answered", "shipping_times")]


async def test_a_cancellation_waiting_for_are_you_sure_answers_the_question_first(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="pending")
    t = activation(
        "cancel_order_form",
        "can I cancel 10234? and do you take Apple Pay",
        "cancel_order+faq",
        "payment_methods",
        "10234",
        **signed_in(anna),
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert texts(dispatcher) == [answer("payment_methods")]
    assert "Apple Pay" in texts(dispatcher)[0]
    assert set_to(events)["faq_pending"] is None
    assert set_to(events)["order_number"] == "10234"
    assert t.slots.get("cancel_confirm") is None  # the form still asks "are you sure?"


async def test_when_the_message_held_everything_the_task_goes_first(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="shipped")
    t = activation(
        "order_status_form",
        "where's my order 10234 and how much is shipping?",
        "order_status+faq",
        "shipping_costs",
        "10234",
        **signed_in(anna),
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert dispatcher.messages == []  # action_order_status, then the rule's answer
    assert "faq_pending" not in set_to(events)


async def test_without_a_question_asked_with_it_the_form_says_nothing_more(shop: Shop) -> None:
    t = activation(
        "order_status_form", "where's order 10555?", "order_status", "shipping_times", "10555"
    )
    t.slots["faq_pending"] = None
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert dispatcher.messages == []
    assert "faq_pending" not in set_to(events)


def test_a_stopped_form_does_not_wait() -> None:
    t = tracker(slots={"order_number": None})
    assert form_waits(t, ["order_number"], [])
    assert not form_waits(t, ["order_number"], [SlotSet("requested_slot", None)])
    assert not form_waits(tracker(slots={"order_number": "10234"}), ["order_number"], [])
