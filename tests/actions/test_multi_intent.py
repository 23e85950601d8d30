"""action_answer_pending_faq on a real shop database: the policy question asked with a task."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet

from actions.messages import policy_answer
from actions.messages.multi_intent import OTHER_QUESTION_LEAD
from actions.multi_intent import ActionAnswerPendingFaq, intent_parts, pending_question
from actions.services import get_services
from tests.actions.shop_data import Shop
from tests.actions.trackers import SENDER, parse_data, run, texts, tracker


def said(text: str, intent: str, topic: str | None) -> dict[str, Any]:
    """A user event as Rasa 3.6 logs it: the faq ResponseSelector answers every message."""
    data = parse_data(text, "faq", retrieval_key=f"faq/{topic}" if topic else None)
    data["intent"] = {"name": intent, "confidence": 0.9}
    data["intent_ranking"] = [data["intent"]]
    return {"event": "user", "timestamp": None, "text": text, "parse_data": data}


ASKED = said("where's my order and how much is shipping?", "order_status+faq", "shipping_costs")


def _run_after(events: list[dict[str, Any]]):
    latest = next(e["parse_data"] for e in reversed(events) if e["event"] == "user")
    built = tracker(
        slots={"faq_pending": True},
        latest_message=latest,
        events=[SessionStarted(), ActionExecuted("action_listen"), *events],
    )
    return run(ActionAnswerPendingFaq(), built)


def _expected(topic: str) -> str:
    return f"{OTHER_QUESTION_LEAD} {policy_answer(get_services().policy, topic)}"


async def test_question_asked_with_an_order_is_answered_after_it_in_the_same_turn(
    shop: Shop,
) -> None:
    events, dispatcher = await _run_after(
        [
            ASKED,
            SlotSet("faq_pending", True),
            ActionExecuted("order_status_form"),
            ActiveLoop("order_status_form"),
            SlotSet("order_number", "18992"),
            ActiveLoop(None),
            ActionExecuted("action_order_status"),
        ]
    )
    assert events == [SlotSet("faq_pending", None)]
    assert texts(dispatcher) == [_expected("shipping_costs")]
    assert "£" in texts(dispatcher)[0]  # the policy's figures, not a topic title
    session = shop.repo.current_session(SENDER)
    assert [(o.kind, o.ref) for o in session.outcomes] == [("faq_answered", "shipping_costs")]


async def test_question_waits_through_the_forms_answers_and_is_the_one_first_asked(
    shop: Shop,
) -> None:
    # The selector also picks a topic for "it's 40213" and the e-mail; those are not questions.
    events, dispatcher = await _run_after(
        [
            ASKED,
            ActionExecuted("order_status_form"),
            ActiveLoop("order_status_form"),
            SlotSet("requested_slot", "order_number"),
            ActionExecuted("action_listen"),
            said("it's 40213", "inform", "warranty"),
            ActionExecuted("order_status_form"),
            SlotSet("requested_slot", "order_email"),
            ActionExecuted("action_listen"),
            said("j.patel@example.co.uk", "inform", "payment_methods"),
            ActionExecuted("order_status_form"),
            ActiveLoop(None),
            ActionExecuted("action_order_status"),
        ]
    )
    assert texts(dispatcher) == [_expected("shipping_costs")]
    assert events == [SlotSet("faq_pending", None)]


async def test_question_is_dropped_when_its_form_was_abandoned(shop: Shop) -> None:
    events, dispatcher = await _run_after(
        [
            ASKED,
            ActionExecuted("order_status_form"),
            ActiveLoop("order_status_form"),
            ActionExecuted("action_listen"),
            said("forget it", "stop", None),
            ActionExecuted("action_deactivate_loop"),
            ActiveLoop(None),
            ActionExecuted("action_listen"),
            said("where is order 40213", "order_status", "shipping_times"),
            ActionExecuted("order_status_form"),
            ActionExecuted("action_order_status"),
        ]
    )
    assert dispatcher.messages == []
    assert events == [SlotSet("faq_pending", None)]
    assert shop.repo.current_session(SENDER).outcomes == ()


async def test_without_a_chosen_topic_nothing_is_said_and_the_slot_is_cleared(shop: Shop) -> None:
    asked = said("cancel 31876, and a question", "cancel_order+faq", None)
    events, dispatcher = await _run_after([asked, ActionExecuted("action_cancel_order")])
    assert dispatcher.messages == []
    assert events == [SlotSet("faq_pending", None)]


async def test_a_topic_the_policy_lacks_is_not_answered(shop: Shop) -> None:
    asked = said("return the mug, and gift wrap?", "request_return+faq", "gift_wrapping")
    events, dispatcher = await _run_after([asked, ActionExecuted("action_create_return")])
    assert dispatcher.messages == []
    assert events == [SlotSet("faq_pending", None)]


def test_a_multi_intent_is_split_into_its_parts() -> None:
    assert intent_parts("order_status+faq") == ["order_status", "faq"]
    assert intent_parts("faq") == ["faq"]
    assert intent_parts(None) == []


def test_a_plain_policy_question_is_not_kept_for_later() -> None:
    # A lone faq message is answered at once by action_answer_faq; nothing waits.
    assert pending_question([said("how much is shipping", "faq", "shipping_costs")]) is None
    assert pending_question([ASKED])["intent"]["name"] == "order_status+faq"


def test_a_question_that_switched_forms_still_waits_for_the_new_form() -> None:
    # "where is 40213 and how much is shipping?" during the return form: the return form is
    # left in the same turn, for the order form the message asked for.
    events = [
        ASKED,
        ActionExecuted("action_deactivate_loop"),
        ActiveLoop(None),
        ActionExecuted("order_status_form"),
        ActiveLoop("order_status_form"),
        ActionExecuted("action_listen"),
        said("j.patel@example.co.uk", "inform", "payment_methods"),
        ActionExecuted("order_status_form"),
    ]
    assert pending_question(events) is ASKED["parse_data"]
