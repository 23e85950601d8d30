"""Order forms on a real shop: a policy question asked while a form waits, and the readers
that tell questions and "leave it" from answers (corrections: test_form_turns.py)."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.cancellation import ValidateCancelOrderForm
from actions.form_turns import FAQ_CONFIDENCE
from actions.messages import policy_answer
from actions.parsing import looks_like_question, wants_to_leave
from actions.returns import ValidateReturnForm
from actions.services import get_services
from tests.actions.form_turn_support import (
    asked,
    domain_with_ignored_intents,
    set_to,
    signed_in,
)
from tests.actions.shop_data import Customer, Shop, days_ago, lamp_and_throw
from tests.actions.trackers import SENDER, run, texts
from tests.factories import add_order

# -- a policy question in passing -----------------------------------------------------------


async def test_policy_question_while_the_number_is_asked_is_answered_and_fills_nothing(
    shop: Shop,
) -> None:
    text = "could I pay with a gift card instead?"
    t = asked(
        "cancel_order_form",
        "order_number",
        text,
        candidates={"order_number": text},
        faq=("faq/payment_methods", 0.998),
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert events == [SlotSet("order_number", None)]
    assert texts(dispatcher) == [policy_answer(get_services().policy, "payment_methods")]
    outcomes = shop.repo.current_session(SENDER).outcomes
    assert [(o.kind, o.ref) for o in outcomes] == [("faq_answered", "payment_methods")]


async def test_policy_question_instead_of_a_reason_is_answered_and_the_reason_asked_again(
    shop: Shop, anna: Customer
) -> None:
    lamp, _ = lamp_and_throw(shop)
    add_order(
        shop.sessions, customer_id=anna.id, number="10234", delivered_at=days_ago(2),
        lines=[(lamp, 1)],
    )  # fmt: skip
    text = "how long until the refund shows up"
    t = asked(
        "return_form",
        "return_reason",
        text,
        candidates={"return_reason": text},
        slots=signed_in(anna, order_number="10234", return_item="Linen table lamp"),
        faq=("faq/return_policy", 0.9995),
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("return_reason", None)]
    assert texts(dispatcher) == [policy_answer(get_services().policy, "return_policy")]


async def test_question_the_selector_is_unsure_of_is_not_answered_as_an_faq(shop: Shop) -> None:
    text = "can you tell me what colours the vases come in?"
    t = asked(
        "cancel_order_form",
        "order_number",
        text,
        candidates={"order_number": text},
        faq=("faq/payment_methods", FAQ_CONFIDENCE - 0.2),
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert set_to(events)["order_number"] is None
    assert policy_answer(get_services().policy, "payment_methods") not in texts(dispatcher)
    assert shop.repo.current_session(SENDER).outcomes == ()


async def test_a_reason_that_starts_like_a_question_is_kept_as_the_reason(
    shop: Shop, anna: Customer
) -> None:
    lamp, _ = lamp_and_throw(shop)
    add_order(
        shop.sessions, customer_id=anna.id, number="10234", delivered_at=days_ago(2),
        lines=[(lamp, 1)],
    )  # fmt: skip
    text = "does not switch on any more"
    t = asked(
        "return_form",
        "return_reason",
        text,
        candidates={"return_reason": text},
        slots=signed_in(anna, order_number="10234", return_item="Linen table lamp"),
        faq=("faq/warranty", 0.9995),
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert set_to(events)["return_reason"] == text
    assert dispatcher.messages == []


async def test_a_question_the_nlu_read_as_an_faq_is_left_to_the_faq_rule(shop: Shop) -> None:
    t = asked(
        "cancel_order_form",
        "order_number",
        "what cards do you accept?",
        intent="faq",
        faq=("faq/payment_methods", 0.9999),
    )
    domain = domain_with_ignored_intents("cancel_order_form", "cancellation.yml")
    events, dispatcher = await run(ValidateCancelOrderForm(), t, domain)
    # Nothing taken: Rasa rejects the form, and the FAQ rule answers once.
    assert set_to(events).get("order_number") is None
    assert dispatcher.messages == []


async def test_leave_it_the_nlu_read_as_stop_is_left_to_the_stop_rule(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="pending")
    t = asked(
        "cancel_order_form",
        "cancel_confirm",
        "please just forget it",
        intent="stop",
        slots=signed_in(anna, order_number="10234"),
    )
    domain = domain_with_ignored_intents("cancel_order_form", "cancellation.yml")
    events, dispatcher = await run(ValidateCancelOrderForm(), t, domain)
    assert "cancel_confirm" not in set_to(events)
    assert dispatcher.messages == []


# -- the readers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("do you deliver on saturdays", True),
        ("so can I still pay by bank transfer", True),
        ("refund to my card?", True),
        ("why is that", True),
        ("is broken", False),
        ("does not fit", False),
        ("wrong size", False),
        ("10234", False),
        ("ok do it", False),
    ],
)
def test_questions_are_told_from_answers(text: str, question: bool) -> None:
    assert looks_like_question(text) is question


@pytest.mark.parametrize(
    ("text", "leaving"),
    [
        ("no, let's leave it", True),
        ("ugh forget about it", True),
        ("nevermind", True),
        ("don't bother then", True),
        ("I don't want it any more", False),
        ("leave the parcel at the door", False),
        ("cancel it please", False),
    ],
)
def test_leaving_words_are_told_from_answers(text: str, leaving: bool) -> None:
    assert wants_to_leave(text) is leaving
