"""Order forms on a real shop: corrections and "leave it" (policy questions: test_form_questions.py).

Each test hands a form's validation action the tracker Rasa would send while the form
waits for a slot, with the intent the NLU might have given (often the wrong one) and, for
questions, what the FAQ ResponseSelector put into ``response_selector``.
"""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.cancellation import ActionCancelOrder, ValidateCancelOrderForm
from actions.orders import ValidateOrderStatusForm
from actions.returns import ValidateReturnForm
from tests.actions.form_turn_support import (
    GUEST_EMAIL,
    asked,
    refused_pair,
    said,
    set_to,
    signed_in,
)
from tests.actions.shop_data import Customer, Shop, days_ago, lamp_and_throw
from tests.actions.trackers import run, texts, tracker
from tests.factories import add_order

# -- corrections ----------------------------------------------------------------------------


async def test_guest_correcting_only_the_email_is_looked_up_with_the_number_given_before(
    shop: Shop,
) -> None:
    add_order(shop.sessions, number="10555", email=GUEST_EMAIL, status="pending")
    text = f"oops, mistyped it: {GUEST_EMAIL}"
    t = asked(
        "cancel_order_form",
        "order_number",
        text,
        intent="deny",
        candidates={"order_number": text, "order_email": GUEST_EMAIL},
        earlier=refused_pair("10555", "robin.hail@example.org"),
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert set_to(events) == {
        "order_number": "10555",
        "order_email": GUEST_EMAIL,
        "requested_slot": "cancel_confirm",
    }
    assert dispatcher.messages == []


async def test_guest_email_correction_the_nlu_did_not_tag_is_still_taken(shop: Shop) -> None:
    add_order(shop.sessions, number="10555", email=GUEST_EMAIL, status="pending")
    text = f"sorry my bad it should be {GUEST_EMAIL}"
    t = asked(
        "order_status_form",
        "order_number",
        text,
        intent="nlu_fallback",
        candidates={"order_number": text},
        earlier=refused_pair("10555", "robin@example.org"),
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert set_to(events)["order_number"] == "10555"
    assert set_to(events)["order_email"] == GUEST_EMAIL
    assert "look like" not in said(dispatcher)


async def test_a_new_number_typed_while_the_email_is_asked_replaces_the_old_one(
    shop: Shop,
) -> None:
    text = "hang on, wrong one, it's 10556"
    t = asked(
        "cancel_order_form",
        "order_email",
        text,
        intent="deny",
        candidates={"order_email": text},
        slots={"order_number": "10555"},
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert set_to(events) == {
        "order_number": "10556",
        "order_email": None,
        "requested_slot": "order_email",
    }
    # The number was the answer: nothing is said back about the e-mail.
    assert dispatcher.messages == []


async def test_signed_in_correction_read_as_a_denial_looks_up_the_new_number(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10777", status="pending")
    t = asked(
        "cancel_order_form",
        "order_number",
        "no no, I meant 10777",
        intent="deny",
        candidates={},
        slots=signed_in(anna),
    )
    events, _ = await run(ValidateCancelOrderForm(), t)
    assert set_to(events)["order_number"] == "10777"


async def test_refused_cancellation_asks_again_when_another_order_can_be_cancelled(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="delivered")
    add_order(shop.sessions, customer_id=anna.id, number="10235", status="pending")
    t = asked(
        "cancel_order_form",
        "order_number",
        "cancel 10234",
        intent="cancel_order",
        candidates={"order_number": "10234"},
        slots=signed_in(anna),
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    # Refused with the reason, and the form goes on (Rasa asks again, with her orders as
    # buttons): she may have meant the pending one.
    assert set_to(events) == {"order_number": None}
    assert "can't be cancelled" in said(dispatcher)
    correction = asked(
        "cancel_order_form",
        "order_number",
        "oh sorry, I meant 10235",
        candidates={"order_number": "oh sorry, I meant 10235"},
        slots=signed_in(anna),
        earlier=[SlotSet("order_number", "10234"), *events],
    )
    events, _ = await run(ValidateCancelOrderForm(), correction)
    assert set_to(events)["order_number"] == "10235"


async def test_refused_cancellation_ends_the_form_when_nothing_else_can_be_cancelled(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="delivered")
    add_order(shop.sessions, customer_id=anna.id, number="10236", status="cancelled")
    t = asked(
        "cancel_order_form",
        "order_number",
        "cancel 10234",
        intent="cancel_order",
        candidates={"order_number": "10234"},
        slots=signed_in(anna),
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert set_to(events)["requested_slot"] is None
    assert "can't be cancelled" in said(dispatcher)


async def test_angry_words_without_a_number_fill_nothing(shop: Shop) -> None:
    text = "this is the fourth time I am asking, sort it out"
    t = asked(
        "cancel_order_form",
        "order_email",
        text,
        intent="inform",
        candidates={"order_email": text},
        slots={"order_number": "10555"},
    )
    events, _ = await run(ValidateCancelOrderForm(), t)
    assert set_to(events).get("order_email") is None
    assert set_to(events).get("order_number") in (None, "10555")


# -- "leave it" -----------------------------------------------------------------------------


async def test_leave_it_while_the_item_is_asked_ends_the_return_form(
    shop: Shop, anna: Customer
) -> None:
    lamp, throw = lamp_and_throw(shop)
    add_order(
        shop.sessions,
        customer_id=anna.id,
        number="10234",
        delivered_at=days_ago(3),
        lines=[(lamp, 1), (throw, 1)],
    )
    text = "ah never mind, I'll hang on to them"
    t = asked(
        "return_form",
        "return_item",
        text,
        intent="deny",
        candidates={"return_item": text},
        slots=signed_in(anna, order_number="10234"),
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert set_to(events) == {
        "order_number": None,
        "return_item": None,
        "return_reason": None,
        "requested_slot": None,
    }
    assert texts(dispatcher) == ["utter_form_stopped"]


async def test_leave_it_with_order_buttons_on_screen_ends_the_cancel_form(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="pending")
    add_order(shop.sessions, customer_id=anna.id, number="10235", status="pending")
    text = "hmm actually, just drop it"
    t = asked(
        "cancel_order_form",
        "order_number",
        text,
        intent="inform",
        candidates={"order_number": text},
        slots=signed_in(anna),
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert set_to(events)["requested_slot"] is None
    assert set_to(events)["order_number"] is None
    assert texts(dispatcher) == ["utter_form_stopped"]


async def test_leave_it_when_asked_to_confirm_keeps_the_order(shop: Shop, anna: Customer) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="pending")
    t = asked(
        "cancel_order_form",
        "cancel_confirm",
        "oh wait, no, leave that",
        intent="inform",
        slots=signed_in(anna, order_number="10234"),
    )
    events, _ = await run(ValidateCancelOrderForm(), t)
    assert set_to(events)["cancel_confirm"] is False
    # The form is done; the submit action then keeps the order as it is.
    _, dispatcher = await run(
        ActionCancelOrder(), tracker(slots=signed_in(anna, order_number="10234", **set_to(events)))
    )
    assert texts(dispatcher) == ["All right, I've left order 10234 as it is."]
    assert shop.repo.find_order_for("10234", customer_id=anna.id, email=None).status == "pending"


async def test_a_correction_that_starts_like_leave_it_is_a_correction(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10777", status="pending")
    text = "forget that one, it's 10777"
    t = asked(
        "cancel_order_form",
        "order_number",
        text,
        intent="stop",
        candidates={"order_number": text},
        slots=signed_in(anna),
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert set_to(events)["order_number"] == "10777"
    assert "utter_form_stopped" not in texts(dispatcher)
