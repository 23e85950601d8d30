"""order_status_form validation and action_order_status on a real shop database."""

from __future__ import annotations

from datetime import datetime

from rasa_sdk.events import SlotSet

from actions.messages import STORE_UNREACHABLE, format_day
from actions.orders import ActionOrderStatus, ValidateOrderStatusForm
from store.repository import utcnow
from tests.actions.shop_data import Customer, Shop, days_ago, lamp_and_throw
from tests.actions.trackers import SENDER, form_tracker, load_tracker, run, texts, tracker
from tests.factories import add_order

FORM = "order_status_form"
NOT_FOUND_99999 = "I can't find an order 99999 — please check the number."


def _shipped_order(shop: Shop, customer: Customer, number: str = "10234") -> str:
    lamp, throw = lamp_and_throw(shop)
    add_order(
        shop.sessions,
        customer_id=customer.id,
        number=number,
        status="shipped",
        placed_at=datetime(2024, 3, 5, 9, 30),
        shipped_at=datetime(2024, 3, 6, 16, 0),
        estimated_delivery=datetime(2024, 3, 9, 12, 0),
        lines=[(lamp, 1), (throw, 2)],
    )
    return number


def _signed_in(customer: Customer) -> dict[str, str]:
    return {"customer_id": str(customer.id), "customer_name": "Anna"}


# -- validation: signed-in customer ----------------------------------------------------


async def test_own_order_number_is_accepted_and_normalised(shop: Shop, anna: Customer) -> None:
    _shipped_order(shop, anna)
    t = form_tracker(
        FORM,
        candidates={"order_number": "order no. #10234"},
        slots=_signed_in(anna),
        requested_slot="order_number",
        text="order no. #10234",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", "10234")]
    assert dispatcher.messages == []


async def test_another_customers_order_gets_the_unknown_order_answer(
    shop: Shop, anna: Customer, bob: Customer
) -> None:
    _shipped_order(shop, bob, number="99999")
    t = form_tracker(
        FORM,
        candidates={"order_number": "99999"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", None)]
    assert texts(dispatcher) == [NOT_FOUND_99999]
    outcomes = shop.repo.current_session(SENDER).outcomes
    assert [(o.kind, o.ref) for o in outcomes] == [("order_lookup_refused", "99999")]


async def test_unknown_order_number_is_refused_with_the_same_answer(
    shop: Shop, anna: Customer
) -> None:
    t = form_tracker(
        FORM,
        candidates={"order_number": "99999"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", None)]
    assert texts(dispatcher) == [NOT_FOUND_99999]


async def test_text_without_an_order_number_is_refused(shop: Shop, anna: Customer) -> None:
    t = form_tracker(
        FORM,
        candidates={"order_number": "no idea"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", None)]
    assert texts(dispatcher) == [
        "“no idea” doesn't look like an order number — it's the 5 or 6 digits in your "
        "order confirmation, like 10234."
    ]


async def test_third_refusal_offers_a_human_and_stops_the_form(shop: Shop, anna: Customer) -> None:
    t = form_tracker(
        FORM,
        candidates={"order_number": "99999"},
        slots=_signed_in(anna),
        requested_slot="order_number",
        refused_before={"order_number": 2},
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", None), SlotSet("requested_slot", None)]
    assert texts(dispatcher) == [NOT_FOUND_99999, "utter_offer_human"]


async def test_second_refusal_still_asks_again(shop: Shop, anna: Customer) -> None:
    t = form_tracker(
        FORM,
        candidates={"order_number": "99999"},
        slots=_signed_in(anna),
        requested_slot="order_number",
        refused_before={"order_number": 1},
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", None)]
    assert texts(dispatcher) == [NOT_FOUND_99999]


# -- validation: guest -----------------------------------------------------------------


async def test_guest_is_asked_for_the_email_after_the_number(shop: Shop) -> None:
    add_order(shop.sessions, number="10555", email="guest@example.com", status="processing")
    t = form_tracker(FORM, candidates={"order_number": "10555"}, requested_slot="order_number")
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", "10555"), SlotSet("requested_slot", "order_email")]
    assert dispatcher.messages == []


async def test_guest_with_the_orders_email_gets_through(shop: Shop) -> None:
    add_order(shop.sessions, number="10555", email="guest@example.com", status="processing")
    t = form_tracker(
        FORM,
        candidates={"order_email": "it's Guest@Example.com"},
        slots={"order_number": "10555"},
        requested_slot="order_email",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [
        SlotSet("order_email", "Guest@example.com"),
        SlotSet("order_number", "10555"),
        SlotSet("requested_slot", None),
    ]
    assert dispatcher.messages == []


async def test_guest_with_a_wrong_email_gets_the_unknown_order_answer(shop: Shop) -> None:
    add_order(shop.sessions, number="10555", email="guest@example.com", status="processing")
    t = form_tracker(
        FORM,
        candidates={"order_email": "someone@example.com"},
        slots={"order_number": "10555"},
        requested_slot="order_email",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [
        SlotSet("order_email", None),
        SlotSet("order_number", None),
        SlotSet("requested_slot", "order_number"),
    ]
    assert texts(dispatcher) == ["I can't find an order 10555 — please check the number."]


async def test_guest_malformed_email_is_refused(shop: Shop) -> None:
    t = form_tracker(
        FORM,
        candidates={"order_email": "anna at example dot com"},
        slots={"order_number": "10555"},
        requested_slot="order_email",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_email", None), SlotSet("requested_slot", "order_email")]
    assert texts(dispatcher) == [
        "Hmm, that doesn't look like an e-mail address — could you type it again?"
    ]


async def test_guest_giving_number_and_email_at_once_is_checked_in_one_go(shop: Shop) -> None:
    add_order(shop.sessions, number="10555", email="guest@example.com", status="pending")
    t = form_tracker(
        FORM,
        active=False,
        candidates={"order_email": "guest@example.com", "order_number": "10555"},
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [
        SlotSet("order_number", "10555"),
        SlotSet("order_email", "guest@example.com"),
        SlotSet("requested_slot", None),
    ]
    assert dispatcher.messages == []


async def test_validation_with_the_database_down_apologises_and_stops_the_form(
    database_down: None,
) -> None:
    t = form_tracker(
        FORM,
        candidates={"order_number": "10234"},
        slots={"customer_id": "1"},
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateOrderStatusForm(), t)
    assert events == [SlotSet("order_number", None), SlotSet("requested_slot", None)]
    assert texts(dispatcher) == [STORE_UNREACHABLE]


# -- action_order_status ----------------------------------------------------------------


async def test_order_status_tells_status_items_parcel_and_due_date(
    shop: Shop, anna: Customer
) -> None:
    _shipped_order(shop, anna)
    tracking = shop.repo.find_order_for("10234", customer_id=anna.id, email=None).shipments[0]
    t = tracker(slots={**_signed_in(anna), "order_number": "10234"})
    events, dispatcher = await run(ActionOrderStatus(), t)
    assert events == []
    assert texts(dispatcher) == [
        "Order 10234, placed on Tuesday 5 March 2024, is on its way. It contains Linen table "
        "lamp and 2 × Wool throw. It left our warehouse on Wednesday 6 March 2024 with Royal "
        f"Mail, tracking number {tracking.tracking_number}; it was due on Saturday 9 March "
        "2024, so if it hasn't arrived, I can put you through to our team."
    ]
    session = shop.repo.current_session(SENDER)
    assert [(o.kind, o.ref) for o in session.outcomes] == [("order_looked_up", "10234")]
    assert session.open_matter == {"kind": "order", "ref": "10234", "status": "shipped"}


async def test_order_on_its_way_gives_the_expected_delivery_day(shop: Shop, anna: Customer) -> None:
    due = days_ago(-2)
    add_order(
        shop.sessions,
        customer_id=anna.id,
        number="10300",
        status="shipped",
        placed_at=days_ago(2),
        shipped_at=days_ago(1),
        estimated_delivery=due,
    )
    t = tracker(slots={**_signed_in(anna), "order_number": "10300"})
    _, dispatcher = await run(ActionOrderStatus(), t)
    assert dispatcher.messages[0]["text"].endswith(
        f", and should arrive by {format_day(due, utcnow())}."
    )


async def test_processing_order_gives_the_expected_dispatch_day(shop: Shop, anna: Customer) -> None:
    # Placed on a Friday: the next working day is Monday.
    add_order(
        shop.sessions,
        customer_id=anna.id,
        number="10301",
        status="processing",
        placed_at=datetime(2024, 3, 8, 10, 0),
    )
    t = tracker(slots={**_signed_in(anna), "order_number": "10301"})
    _, dispatcher = await run(ActionOrderStatus(), t)
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Order 10301, placed on Friday 8 March 2024, is being packed")
    assert "It should have left our warehouse by Monday 11 March 2024, so it's running late" in text


async def test_delivered_order_is_not_kept_as_open_matter(shop: Shop, anna: Customer) -> None:
    add_order(
        shop.sessions,
        customer_id=anna.id,
        number="10302",
        status="delivered",
        placed_at=datetime(2024, 3, 1, 10),
        delivered_at=datetime(2024, 3, 4, 11),
    )
    t = tracker(slots={**_signed_in(anna), "order_number": "10302"})
    _, dispatcher = await run(ActionOrderStatus(), t)
    assert "has been delivered" in dispatcher.messages[0]["text"]
    assert "arrived on Monday 4 March 2024." in dispatcher.messages[0]["text"]
    assert shop.repo.current_session(SENDER).open_matter is None


async def test_order_status_from_a_json_tracker_dump(shop: Shop, anna: Customer) -> None:
    _shipped_order(shop, anna)
    t = load_tracker("order_status_tracker.json")
    assert t.get_slot("customer_id") == str(anna.id)  # the dump was made for customer 1
    events, dispatcher = await run(ActionOrderStatus(), t)
    assert events == []
    assert dispatcher.messages[0]["text"].startswith(
        "Order 10234, placed on Tuesday 5 March 2024, is on its way."
    )
    session = shop.repo.current_session(SENDER)
    assert session.turns == 2
    assert list(session.intents) == ["greet", "order_status"]


async def test_order_status_with_the_database_down_apologises(database_down: None) -> None:
    t = tracker(slots={"customer_id": "1", "order_number": "10234"})
    events, dispatcher = await run(ActionOrderStatus(), t)
    assert events == []
    assert texts(dispatcher) == [STORE_UNREACHABLE]
