"""Order forms on a real shop: corrections, a policy question in passing, and "leave it".

Each test hands a form's validation action the tracker Rasa would send while the form
waits for a slot, with the intent the NLU might have given (often the wrong one) and, for
questions, what the FAQ ResponseSelector put into ``response_selector``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet

from actions.cancellation import ActionCancelOrder, ValidateCancelOrderForm
from actions.form_turns import FAQ_CONFIDENCE
from actions.messages import policy_answer
from actions.orders import ValidateOrderStatusForm
from actions.parsing import looks_like_question, wants_to_leave
from actions.returns import ValidateReturnForm
from actions.services import get_services
from tests.actions.shop_data import Customer, Shop, days_ago, lamp_and_throw
from tests.actions.trackers import SENDER, load_domain, parse_data, run, texts, tracker, user
from tests.factories import add_order

GUEST_EMAIL = "robin.hale@example.org"
BOT_DOMAIN = Path(__file__).parents[2] / "bot" / "domain"


def domain_with_ignored_intents(form: str, domain_file: str) -> dict[str, Any]:
    """The test domain, with the intents the real domain's ``form`` leaves to rules."""
    real = yaml.safe_load((BOT_DOMAIN / domain_file).read_text(encoding="utf-8"))
    domain = load_domain()
    domain["forms"][form]["ignored_intents"] = real["forms"][form]["ignored_intents"]
    return domain


def asked(
    form: str,
    requested: str,
    text: str,
    *,
    intent: str = "inform",
    candidates: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    earlier: list[dict[str, Any]] | None = None,
    faq: tuple[str, float] | None = None,
) -> Tracker:
    """The tracker ``validate_<form>`` gets for ``text`` while ``form`` asks for ``requested``.

    ``slots`` were set before the form started, ``earlier`` are events of this form run
    before the message, ``candidates`` what Rasa's slot mappings took from the message,
    ``faq`` the selector's (topic key, confidence) for it.
    """
    message = parse_data(text, intent)
    if faq is not None:
        key, confidence = faq
        message["response_selector"] = {
            "all_retrieval_intents": ["faq", "chitchat"],
            "faq": {
                "response": {"confidence": confidence, "intent_response_key": key},
                "ranking": [],
            },
        }
    events: list[dict[str, Any]] = [SessionStarted(), ActionExecuted("action_listen")]
    events += [SlotSet(k, v) for k, v in (slots or {}).items()]
    events += [ActionExecuted(form), ActiveLoop(form), *(earlier or [])]
    events += [ActionExecuted("action_listen"), user(text, intent) | {"parse_data": message}]
    events += [SlotSet("requested_slot", requested), ActionExecuted(form)]
    events += [SlotSet(k, v) for k, v in (candidates or {}).items()]
    state: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot":
            state[event["name"]] = event["value"]
    return tracker(slots=state, latest_message=message, events=events, active_loop=form)


def refused_pair(number: str, email: str) -> list[dict[str, Any]]:
    """A guest's number and e-mail given, then both cleared by a failed look-up."""
    return [
        SlotSet("order_number", number),
        SlotSet("requested_slot", "order_email"),
        ActionExecuted("action_listen"),
        user(email, "inform"),
        ActionExecuted("cancel_order_form"),
        SlotSet("order_email", email),
        SlotSet("order_number", None),
        SlotSet("order_email", None),
    ]


def signed_in(customer: Customer, **slots: Any) -> dict[str, Any]:
    return {"customer_id": str(customer.id), "customer_name": "Anna", **slots}


def set_to(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The value each slot was last set to by the action's events."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(dispatcher: Any) -> str:
    return " / ".join(str(t) for t in texts(dispatcher))


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
