"""return_form validation, action_create_return and action_return_status on a real shop."""

from __future__ import annotations

from datetime import datetime

from rasa_sdk.events import SlotSet

from actions.messages import STORE_UNREACHABLE
from actions.returns import ActionCreateReturn, ActionReturnStatus, ValidateReturnForm
from tests.actions.shop_data import Customer, Shop, days_ago, lamp_and_throw
from tests.actions.trackers import SENDER, form_tracker, run, texts, tracker
from tests.factories import MadeOrder, add_order, add_product, add_return

FORM = "return_form"
STOP = [
    SlotSet("order_number", None),
    SlotSet("return_item", None),
    SlotSet("return_reason", None),
    SlotSet("requested_slot", None),
]


def _signed_in(customer: Customer, **slots: str) -> dict[str, str]:
    return {"customer_id": str(customer.id), "customer_name": "Anna", **slots}


def _delivered(
    shop: Shop, customer: Customer, *, days: float = 5, two_items: bool = True
) -> MadeOrder:
    lamp, throw = lamp_and_throw(shop)
    return add_order(
        shop.sessions,
        customer_id=customer.id,
        number="10234",
        status="delivered",
        placed_at=days_ago(days + 3),
        shipped_at=days_ago(days + 2),
        delivered_at=days_ago(days),
        lines=[(lamp, 1), (throw, 2)] if two_items else [(lamp, 1)],
    )


# -- order number -------------------------------------------------------------------------


async def test_delivered_order_is_accepted_for_a_return(shop: Shop, anna: Customer) -> None:
    _delivered(shop, anna)
    t = form_tracker(
        FORM,
        candidates={"order_number": "10234"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("order_number", "10234")]
    assert dispatcher.messages == []


async def test_single_item_order_skips_the_item_question(shop: Shop, anna: Customer) -> None:
    _delivered(shop, anna, two_items=False)
    t = form_tracker(
        FORM,
        candidates={"order_number": "10234"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, _ = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("order_number", "10234"), SlotSet("return_item", "Linen table lamp")]


async def test_passed_return_window_stops_the_form_with_the_closing_date(
    shop: Shop, anna: Customer
) -> None:
    lamp, _ = lamp_and_throw(shop)
    add_order(
        shop.sessions,
        customer_id=anna.id,
        number="10234",
        status="delivered",
        placed_at=datetime(2024, 1, 2, 10),
        shipped_at=datetime(2024, 1, 3, 10),
        delivered_at=datetime(2024, 1, 5, 10),
        lines=[(lamp, 1)],
    )
    t = form_tracker(
        FORM,
        candidates={"order_number": "10234"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == STOP
    assert texts(dispatcher) == [
        "Order 10234 was delivered on 5 January 2024, and our 30-day return window closed "
        "on 4 February 2024, so I can't open a return for it."
    ]
    outcomes = shop.repo.current_session(SENDER).outcomes
    assert [(o.kind, o.ref, o.detail) for o in outcomes] == [
        ("return_refused", "10234", {"code": "window_passed"})
    ]


async def test_order_not_yet_delivered_cannot_be_returned(shop: Shop, anna: Customer) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="processing")
    t = form_tracker(
        FORM,
        candidates={"order_number": "10234"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == STOP
    assert texts(dispatcher) == [
        "Order 10234 hasn't been delivered yet, so it can't be returned. Would you like "
        "to cancel it instead?"
    ]


async def test_another_customers_order_cannot_be_returned(
    shop: Shop, anna: Customer, bob: Customer
) -> None:
    _delivered(shop, bob)
    t = form_tracker(
        FORM,
        candidates={"order_number": "10234"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("order_number", None)]
    assert texts(dispatcher) == ["I can't find an order 10234 — please check the number."]


# -- item -----------------------------------------------------------------------------------


async def test_item_named_by_ordinal_is_matched_to_its_line(shop: Shop, anna: Customer) -> None:
    _delivered(shop, anna)
    t = form_tracker(
        FORM,
        candidates={"return_item": "the second one"},
        slots=_signed_in(anna, order_number="10234"),
        requested_slot="return_item",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("return_item", "Wool throw")]
    assert dispatcher.messages == []


async def test_item_and_order_in_one_message_are_checked_in_the_forms_order(
    shop: Shop, anna: Customer
) -> None:
    _delivered(shop, anna)
    # The item comes first in the message; it can only be matched once the order is known.
    t = form_tracker(
        FORM,
        active=False,
        candidates={"return_item": "lamp", "order_number": "10234"},
        slots=_signed_in(anna),
    )
    events, _ = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("order_number", "10234"), SlotSet("return_item", "Linen table lamp")]


async def test_item_not_in_the_order_is_refused_with_the_list_of_items(
    shop: Shop, anna: Customer
) -> None:
    _delivered(shop, anna)
    t = form_tracker(
        FORM,
        candidates={"return_item": "sofa"},
        slots=_signed_in(anna, order_number="10234"),
        requested_slot="return_item",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("return_item", None)]
    assert texts(dispatcher) == [
        "I can't find “sofa” in order 10234. It has 1. Linen table lamp, 2. Wool throw — "
        "which one would you like to return?"
    ]


async def test_item_already_returned_is_refused(shop: Shop, anna: Customer) -> None:
    order = _delivered(shop, anna)
    number = add_return(shop.sessions, order, order.line_ids[0])
    t = form_tracker(
        FORM,
        candidates={"return_item": "the lamp"},
        slots=_signed_in(anna, order_number="10234"),
        requested_slot="return_item",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("return_item", None)]
    assert texts(dispatcher) == [
        f"There's already a return open for the Linen table lamp from order 10234 ({number}), "
        "so there's no need to start another."
    ]


async def test_reason_without_words_is_asked_again(shop: Shop, anna: Customer) -> None:
    _delivered(shop, anna)
    t = form_tracker(
        FORM,
        candidates={"return_reason": "?"},
        slots=_signed_in(anna, order_number="10234", return_item="Wool throw"),
        requested_slot="return_reason",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("return_reason", None)]
    assert texts(dispatcher) == ["Could you tell me in a few words why you're sending it back?"]


async def test_guest_return_needs_the_orders_email(shop: Shop) -> None:
    product = add_product(shop.sessions, title="Oak stool", category="furniture")
    add_order(
        shop.sessions,
        number="10600",
        email="guest@example.com",
        status="delivered",
        placed_at=days_ago(6),
        shipped_at=days_ago(5),
        delivered_at=days_ago(4),
        lines=[(product, 1)],
    )
    t = form_tracker(
        FORM,
        candidates={"order_email": "guest@example.com"},
        slots={"order_number": "10600"},
        requested_slot="order_email",
    )
    events, _ = await run(ValidateReturnForm(), t)
    assert events == [
        SlotSet("order_email", "guest@example.com"),
        SlotSet("order_number", "10600"),
        SlotSet("return_item", "Oak stool"),
        SlotSet("requested_slot", "return_reason"),
    ]


# -- action_create_return ---------------------------------------------------------------------


async def test_return_is_created_confirmed_and_recorded(shop: Shop, anna: Customer) -> None:
    _delivered(shop, anna)
    t = tracker(
        slots=_signed_in(
            anna, order_number="10234", return_item="Wool throw", return_reason="too itchy"
        )
    )
    events, dispatcher = await run(ActionCreateReturn(), t)
    ret = shop.repo.latest_return(anna.id)
    assert (ret.item_title, ret.reason, ret.refund_amount) == ("Wool throw", "too itchy", 91.0)
    assert events == [
        SlotSet("return_item", None),
        SlotSet("return_reason", None),
        SlotSet("return_number", ret.number),
    ]
    assert texts(dispatcher) == [
        f"I've opened return {ret.number} for the Wool throw from order 10234. We'll e-mail "
        "you a prepaid returns label. Your refund of £91 follows within 5 working days of "
        "the item reaching us."
    ]
    session = shop.repo.current_session(SENDER)
    assert [(o.kind, o.ref) for o in session.outcomes] == [("return_created", ret.number)]
    assert session.open_matter == {"kind": "return", "ref": ret.number, "status": "requested"}


async def test_create_return_after_a_stopped_form_says_nothing(shop: Shop, anna: Customer) -> None:
    t = tracker(slots=_signed_in(anna))
    events, dispatcher = await run(ActionCreateReturn(), t)
    assert events == [SlotSet("return_item", None), SlotSet("return_reason", None)]
    assert dispatcher.messages == []
    assert shop.repo.latest_return(anna.id) is None


async def test_create_return_with_the_database_down_apologises(database_down: None) -> None:
    t = tracker(
        slots={
            "customer_id": "1",
            "order_number": "10234",
            "return_item": "lamp",
            "return_reason": "broken",
        }
    )
    events, dispatcher = await run(ActionCreateReturn(), t)
    assert events == []
    assert texts(dispatcher) == [STORE_UNREACHABLE]


# -- action_return_status ---------------------------------------------------------------------


async def test_signed_in_customer_gets_the_latest_return_without_a_number(
    shop: Shop, anna: Customer
) -> None:
    order = _delivered(shop, anna)
    number = add_return(
        shop.sessions,
        order,
        order.line_ids[1],
        status="approved",
        created_at=datetime(2024, 3, 5, 10),
    )
    events, dispatcher = await run(ActionReturnStatus(), tracker(slots=_signed_in(anna)))
    assert events == [SlotSet("return_number", number)]
    assert texts(dispatcher) == [
        f"Return {number} (Wool throw from order 10234) has been approved. Once the item "
        "reaches us, your refund of £91 is on its way."
    ]
    session = shop.repo.current_session(SENDER)
    assert [(o.kind, o.ref) for o in session.outcomes] == [("return_status_checked", number)]


async def test_guest_asking_about_a_return_is_asked_for_the_email(shop: Shop) -> None:
    events, dispatcher = await run(
        ActionReturnStatus(), tracker(slots={"return_number": "R-10007"})
    )
    assert events == []
    assert texts(dispatcher) == ["utter_ask_order_email"]


async def test_another_customers_return_is_not_found(
    shop: Shop, anna: Customer, bob: Customer
) -> None:
    order = _delivered(shop, bob)
    number = add_return(shop.sessions, order)
    t = tracker(slots=_signed_in(anna, return_number=number))
    events, dispatcher = await run(ActionReturnStatus(), t)
    assert events == [SlotSet("return_number", None)]
    assert texts(dispatcher) == [f"I can't find a return {number} — please check the number."]


async def test_create_return_for_an_item_the_order_lacks_lists_the_items(
    shop: Shop, anna: Customer
) -> None:
    _delivered(shop, anna)
    t = tracker(
        slots=_signed_in(anna, order_number="10234", return_item="Sofa", return_reason="x y")
    )
    events, dispatcher = await run(ActionCreateReturn(), t)
    assert events == [SlotSet("return_item", None), SlotSet("return_reason", None)]
    assert texts(dispatcher) == [
        "I can't find “Sofa” in order 10234. It has 1. Linen table lamp, 2. Wool throw — "
        "which one would you like to return?"
    ]
    assert shop.repo.latest_return(anna.id) is None
