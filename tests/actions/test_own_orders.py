"""A signed-in customer's own orders on a real shop: listing, choosing, resolving her words.

Anna has four orders like the demo's: an old delivered one, one delivered nine days ago
(returnable), one on its way (placed three days ago) and one pending since this morning.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, FollowupAction, SessionStarted, SlotSet

from actions.cancellation import ValidateCancelOrderForm
from actions.messages.orders import GUEST_LIST_ORDERS, WHICH_OF_THESE, WHICH_OWN_ORDER
from actions.messages.products import WHICH_PRODUCT
from actions.messages.returns import REASON_NOTED
from actions.orders import ValidateOrderStatusForm
from actions.own_orders import (
    ActionAskOrderStatusFormOrderNumber,
    ActionAskReturnFormReturnItem,
    ActionListOrders,
)
from actions.product_question import ActionProductQuestion
from actions.returns import ValidateReturnForm
from tests.actions.shop_data import Customer, Shop, days_ago
from tests.actions.trackers import form_tracker, parse_data, run, texts, tracker, user
from tests.factories import add_order, add_product

STATUS = "order_status_form"


@pytest.fixture
def annas_orders(shop: Shop, anna: Customer) -> dict[str, str]:
    """Anna's four orders by name -> number."""
    made: dict[str, str] = {}
    for name, number, days, status, titles in [
        ("history", "17001", 200, "delivered", [("Velvet Cushion Cover", "home decor")]),
        ("delivered", "18760", 9, "delivered", [("Table Lamp", "lighting"), ("Throw", "home")]),
        ("shipped", "18992", 3, "shipped", [("Bedside Lamp", "lighting"), ("Drum Shade", "x")]),
        ("pending", "19126", 0.1, "pending", [("String Lights", "lighting"), ("Candle", "gifts")]),
    ]:
        products = [add_product(shop.sessions, title=t, category=c) for t, c in titles]
        add_order(
            shop.sessions,
            customer_id=anna.id,
            number=number,
            status=status,
            placed_at=days_ago(days),
            shipped_at=days_ago(days - 0.05) if status in ("shipped", "delivered") else None,
            delivered_at=days_ago(days - 1) if status == "delivered" else None,
            lines=[(p, 1) for p in products],
        )
        made[name] = number
    return made


def _signed_in(customer: Customer, **more: Any) -> dict[str, Any]:
    return {"customer_id": str(customer.id), "customer_name": "Anna", **more}


def _saying(t: Tracker, text: str, intent: str) -> Tracker:
    t.latest_message = parse_data(text, intent)
    return t


def _payloads(dispatcher: Any) -> list[str]:
    return [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]


# -- listing her orders ---------------------------------------------------------------


async def test_list_orders_shows_her_recent_orders_newest_first_as_buttons(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    t = tracker(slots=_signed_in(anna), latest_message=parse_data("show my orders", "list_orders"))
    _, dispatcher = await run(ActionListOrders(), t)
    assert _payloads(dispatcher) == [
        '/inform{"order_number":"19126"}',
        '/inform{"order_number":"18992"}',
        '/inform{"order_number":"18760"}',
        '/inform{"order_number":"17001"}',
    ]
    first = dispatcher.messages[0]["buttons"][0]["title"]
    assert first.startswith("19126 · ") and "String Lights +1" in first and "received" in first


async def test_list_orders_tells_a_guest_how_to_get_hers(shop: Shop) -> None:
    t = tracker(latest_message=parse_data("what orders do I have", "list_orders"))
    _, dispatcher = await run(ActionListOrders(), t)
    assert texts(dispatcher) == [GUEST_LIST_ORDERS]
    assert _payloads(dispatcher) == []


# -- the form finds her order itself ---------------------------------------------------


async def test_cancel_form_fills_her_only_pending_order_at_activation(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    t = form_tracker("cancel_order_form", candidates={}, slots=_signed_in(anna), active=False)
    events, dispatcher = await run(
        ValidateCancelOrderForm(), _saying(t, "cancel my order", "cancel_order")
    )
    assert SlotSet("order_number", "19126") in events
    assert dispatcher.messages == []


async def test_return_form_fills_her_only_returnable_order_at_activation(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    t = form_tracker("return_form", candidates={}, slots=_signed_in(anna), active=False)
    events, _ = await run(
        ValidateReturnForm(), _saying(t, "I want to return something", "request_return")
    )
    assert SlotSet("order_number", "18760") in events


async def test_status_form_with_one_open_order_answers_it(shop: Shop, anna: Customer) -> None:
    lamp = add_product(shop.sessions, title="Table Lamp", category="lighting")
    add_order(shop.sessions, customer_id=anna.id, number="18760", status="delivered",
              placed_at=days_ago(9), lines=[(lamp, 1)])  # fmt: skip
    add_order(shop.sessions, customer_id=anna.id, number="18992", status="shipped",
              placed_at=days_ago(3), lines=[(lamp, 1)])  # fmt: skip
    t = form_tracker(STATUS, candidates={}, slots=_signed_in(anna), active=False)
    events, _ = await run(
        ValidateOrderStatusForm(), _saying(t, "where's my parcel?", "order_status")
    )
    assert events == [SlotSet("order_number", "18992")]


async def test_status_form_with_two_open_orders_asks_with_them_as_buttons(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    t = form_tracker(STATUS, candidates={}, slots=_signed_in(anna), active=False)
    events, _ = await run(
        ValidateOrderStatusForm(), _saying(t, "where's my parcel?", "order_status")
    )
    assert events == []
    ask = tracker(
        slots=_signed_in(anna), latest_message=parse_data("where's my parcel?", "order_status")
    )
    _, dispatcher = await run(ActionAskOrderStatusFormOrderNumber(), ask)
    assert texts(dispatcher) == [WHICH_OWN_ORDER]
    assert _payloads(dispatcher) == [
        '/inform{"order_number":"19126"}',
        '/inform{"order_number":"18992"}',
    ]


async def test_my_last_order_in_the_first_message_needs_no_question(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    t = form_tracker(STATUS, candidates={}, slots=_signed_in(anna), active=False)
    events, _ = await run(
        ValidateOrderStatusForm(), _saying(t, "where's my last order", "order_status")
    )
    assert events == [SlotSet("order_number", "19126")]


# -- her words as the answer -----------------------------------------------------------


async def test_the_one_she_ordered_days_ago_is_looked_up(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    # "last week" depends on today's weekday; test_order_reference.py holds it at a fixed now.
    said = "the one I ordered 9 days ago"
    t = form_tracker(STATUS, candidates={"order_number": said}, slots=_signed_in(anna),
                     requested_slot="order_number", text=said)  # fmt: skip
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", "18760")]
    assert dispatcher.messages == []


async def test_the_lamp_order_fits_two_so_the_ask_offers_those_two(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    said = "the lamp order"
    t = form_tracker(STATUS, candidates={"order_number": said}, slots=_signed_in(anna),
                     requested_slot="order_number", text=said)  # fmt: skip
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", None)]
    assert dispatcher.messages == []
    ask = tracker(slots=_signed_in(anna), latest_message=parse_data(said, "inform"))
    _, dispatcher = await run(ActionAskOrderStatusFormOrderNumber(), ask)
    assert texts(dispatcher) == [WHICH_OF_THESE]
    assert _payloads(dispatcher) == [
        '/inform{"order_number":"18992"}',
        '/inform{"order_number":"18760"}',
    ]


async def test_an_order_she_does_not_have_is_said_back_kindly(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    said = "the one from 5 days ago"
    t = form_tracker(STATUS, candidates={"order_number": said}, slots=_signed_in(anna),
                     requested_slot="order_number", text=said)  # fmt: skip
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", None)]
    assert texts(dispatcher) == [
        "I couldn't match “the one from 5 days ago” to one of your orders."
    ]


# -- words from a message that was no answer ------------------------------------------

ANGRY = "this is the third time I'm asking, where the hell is my order"


def _nothing_said_back(dispatcher: Any) -> bool:
    """No message quotes her words as a would-be order number (an apology may come first)."""
    return not any(
        "third" in (text or "") or "order number" in (text or "") for text in texts(dispatcher)
    )


async def test_an_angry_word_is_not_an_order_number_for_a_guest(shop: Shop) -> None:
    t = form_tracker(STATUS, candidates={"order_number": "third"}, active=False, text=ANGRY)
    events, dispatcher = await run(ValidateOrderStatusForm(), _saying(t, ANGRY, "order_status"))
    assert SlotSet("order_number", None) in events
    assert _nothing_said_back(dispatcher)


async def test_an_angry_repeat_while_the_number_is_asked_is_dropped_silently(shop: Shop) -> None:
    t = form_tracker(STATUS, candidates={"order_number": ANGRY}, requested_slot="order_number")
    events, dispatcher = await run(ValidateOrderStatusForm(), _saying(t, ANGRY, "order_status"))
    assert SlotSet("order_number", None) in events
    assert _nothing_said_back(dispatcher)


async def test_an_angry_signed_in_customer_with_one_open_order_gets_it(
    shop: Shop, anna: Customer
) -> None:
    lamp = add_product(shop.sessions, title="Table Lamp", category="lighting")
    add_order(shop.sessions, customer_id=anna.id, number="18992", status="shipped",
              placed_at=days_ago(3), lines=[(lamp, 1)])  # fmt: skip
    t = form_tracker(STATUS, candidates={"order_number": "third"}, slots=_signed_in(anna),
                     active=False)  # fmt: skip
    events, dispatcher = await run(ValidateOrderStatusForm(), _saying(t, ANGRY, "order_status"))
    assert events == [SlotSet("order_number", "18992")]
    assert _nothing_said_back(dispatcher)


# -- the return form: a reason where the item was asked --------------------------------


async def test_a_reason_given_for_the_item_is_kept_and_the_item_asked_with_buttons(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    t = form_tracker(
        "return_form",
        candidates={"return_item": "it's broken", "return_reason": "damaged"},
        slots=_signed_in(anna, order_number="18760"),
        requested_slot="return_item",
        text="it's broken",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("return_item", None), SlotSet("return_reason", "damaged")]
    assert texts(dispatcher) == [REASON_NOTED]
    ask = tracker(slots=_signed_in(anna, order_number="18760"))
    _, dispatcher = await run(ActionAskReturnFormReturnItem(), ask)
    assert texts(dispatcher) == ["Which item from order 18760 would you like to return?"]
    assert _payloads(dispatcher) == [
        '/inform{"product":"Table Lamp"}',
        '/inform{"product":"Throw"}',
    ]


async def test_a_reason_without_the_nlu_entity_is_kept_in_her_words(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    t = form_tracker(
        "return_form",
        candidates={"return_item": "it doesn't work"},
        slots=_signed_in(anna, order_number="18760"),
        requested_slot="return_item",
        text="it doesn't work",
    )
    events, _ = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("return_item", None), SlotSet("return_reason", "it doesn't work")]


async def test_an_upset_answer_without_a_number_gets_no_correction(shop: Shop) -> None:
    said = "this is ridiculous, I don't have it"
    t = form_tracker(STATUS, candidates={"order_number": said}, requested_slot="order_number",
                     text=said)  # fmt: skip
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert SlotSet("order_number", None) in events
    assert _nothing_said_back(dispatcher)


# -- a question about "the ... one" right after her orders were listed -----------------------


def _after_listing(customer: Customer | None, text: str, listed: bool = True) -> Tracker:
    """``text`` read as a product question, right after the bot listed her orders (or not)."""
    events = [SessionStarted(), ActionExecuted("action_listen")]
    events += [ActionExecuted("action_list_orders" if listed else "utter_greet")]
    events += [ActionExecuted("action_listen"), user(text, "product_question")]
    slots = _signed_in(customer) if customer is not None else {}
    return tracker(slots=slots, latest_message=parse_data(text, "product_question"), events=events)


async def test_the_one_named_after_her_orders_were_listed_is_looked_up_as_that_order(
    shop: Shop, anna: Customer, annas_orders: dict[str, str]
) -> None:
    t = _after_listing(anna, "what about the string lights one?")
    events, dispatcher = await run(ActionProductQuestion(), t)
    assert events == [
        SlotSet("order_number", annas_orders["pending"]),
        FollowupAction("action_order_status"),
    ]
    assert dispatcher.messages == []  # action_order_status answers


@pytest.mark.parametrize(
    ("signed_in", "listed", "text"),
    [
        (True, False, "what about the string lights one?"),  # nothing listed just now
        (True, True, "what about the teapot one?"),  # none of her orders has a teapot
        (True, True, "and the lamp one?"),  # two of her orders have a lamp
        (False, True, "what about the string lights one?"),  # a guest has no list
    ],
)
async def test_otherwise_it_stays_a_product_question(
    shop: Shop, anna: Customer, annas_orders: dict[str, str], signed_in: bool, listed: bool,
    text: str,
) -> None:  # fmt: skip
    t = _after_listing(anna if signed_in else None, text, listed)
    events, dispatcher = await run(ActionProductQuestion(), t)
    assert events == []
    assert texts(dispatcher) == [WHICH_PRODUCT]
