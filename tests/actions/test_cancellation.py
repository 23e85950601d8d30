"""cancel_order_form validation and action_cancel_order on a real shop database."""

from __future__ import annotations

from datetime import datetime

from rasa_sdk.events import SlotSet

from actions.cancellation import ActionCancelOrder, ValidateCancelOrderForm
from actions.messages import STORE_UNREACHABLE
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import SENDER, form_tracker, run, texts, tracker
from tests.factories import add_order

FORM = "cancel_order_form"
STOP = [
    SlotSet("order_number", None),
    SlotSet("cancel_confirm", None),
    SlotSet("requested_slot", None),
]


def _signed_in(customer: Customer, **slots: object) -> dict[str, object]:
    return {"customer_id": str(customer.id), "customer_name": "Anna", **slots}


async def test_shipped_order_cannot_be_cancelled_and_the_form_stops(
    shop: Shop, anna: Customer
) -> None:
    add_order(
        shop.sessions,
        customer_id=anna.id,
        number="10234",
        status="shipped",
        placed_at=datetime(2024, 3, 5, 9),
        shipped_at=datetime(2024, 3, 6, 15),
    )
    t = form_tracker(
        FORM, active=False, candidates={"order_number": "10234"}, slots=_signed_in(anna)
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert events == STOP
    assert texts(dispatcher) == [
        "Order 10234 already left our warehouse on 6 March 2024, so it can't be cancelled "
        "any more; once it arrives, you can return it instead."
    ]
    outcomes = shop.repo.current_session(SENDER).outcomes
    assert [(o.kind, o.ref, o.detail) for o in outcomes] == [
        ("cancel_refused", "10234", {"code": "already_shipped"})
    ]


async def test_processing_order_goes_on_to_the_confirmation(shop: Shop, anna: Customer) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="processing")
    t = form_tracker(
        FORM,
        candidates={"order_number": "10234"},
        slots=_signed_in(anna),
        requested_slot="order_number",
    )
    events, dispatcher = await run(ValidateCancelOrderForm(), t)
    assert events == [SlotSet("order_number", "10234")]
    assert dispatcher.messages == []


async def test_guest_cancelling_is_asked_for_the_email(shop: Shop) -> None:
    add_order(shop.sessions, number="10555", email="guest@example.com", status="pending")
    t = form_tracker(FORM, candidates={"order_number": "10555"}, requested_slot="order_number")
    events, _ = await run(ValidateCancelOrderForm(), t)
    assert events == [SlotSet("order_number", "10555"), SlotSet("requested_slot", "order_email")]


async def test_confirmation_answer_is_kept_as_a_bool(shop: Shop, anna: Customer) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="processing")
    t = form_tracker(
        FORM,
        candidates={"cancel_confirm": True},
        slots=_signed_in(anna, order_number="10234"),
        requested_slot="cancel_confirm",
    )
    events, _ = await run(ValidateCancelOrderForm(), t)
    assert events == [SlotSet("cancel_confirm", True)]


async def test_confirmed_cancellation_cancels_the_order(shop: Shop, anna: Customer) -> None:
    add_order(
        shop.sessions,
        customer_id=anna.id,
        number="10234",
        status="processing",
        lines=None,
    )
    shop.repo.set_open_matter(SENDER, {"kind": "order", "ref": "10234", "status": "processing"})
    total = shop.repo.find_order_for("10234", customer_id=anna.id, email=None).total
    t = tracker(slots=_signed_in(anna, order_number="10234", cancel_confirm=True))
    events, dispatcher = await run(ActionCancelOrder(), t)
    assert events == [SlotSet("cancel_confirm", None)]
    assert texts(dispatcher) == [
        f"Done — order 10234 is cancelled. The £{total:.0f} you paid goes back to your "
        "original payment method."
    ]
    order = shop.repo.find_order_for("10234", customer_id=anna.id, email=None)
    assert order.status == "cancelled"
    session = shop.repo.current_session(SENDER)
    assert [(o.kind, o.ref) for o in session.outcomes] == [("order_cancelled", "10234")]
    assert session.open_matter is None


async def test_declined_cancellation_leaves_the_order_alone(shop: Shop, anna: Customer) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="processing")
    t = tracker(slots=_signed_in(anna, order_number="10234", cancel_confirm=False))
    events, dispatcher = await run(ActionCancelOrder(), t)
    assert events == [SlotSet("cancel_confirm", None)]
    assert texts(dispatcher) == ["All right, I've left order 10234 as it is."]
    assert shop.repo.find_order_for("10234", customer_id=anna.id, email=None).status == "processing"


async def test_order_shipped_while_confirming_is_refused(shop: Shop, anna: Customer) -> None:
    add_order(
        shop.sessions,
        customer_id=anna.id,
        number="10234",
        status="delivered",
        placed_at=datetime(2024, 3, 5, 9),
        delivered_at=datetime(2024, 3, 8, 12),
    )
    t = tracker(slots=_signed_in(anna, order_number="10234", cancel_confirm=True))
    events, dispatcher = await run(ActionCancelOrder(), t)
    assert events == [SlotSet("cancel_confirm", None)]
    assert texts(dispatcher) == [
        "Order 10234 was delivered on 8 March 2024, so it can't be cancelled any more, but "
        "you can return it instead."
    ]


async def test_guest_cannot_cancel_with_the_wrong_email(shop: Shop) -> None:
    add_order(shop.sessions, number="10555", email="guest@example.com", status="pending")
    t = tracker(
        slots={"order_number": "10555", "order_email": "other@example.com", "cancel_confirm": True}
    )
    events, dispatcher = await run(ActionCancelOrder(), t)
    assert events == [SlotSet("cancel_confirm", None)]
    assert texts(dispatcher) == ["I can't find an order 10555 — please check the number."]


async def test_cancel_with_the_database_down_apologises(database_down: None) -> None:
    t = tracker(slots={"customer_id": "1", "order_number": "10234", "cancel_confirm": True})
    events, dispatcher = await run(ActionCancelOrder(), t)
    assert events == []
    assert texts(dispatcher) == [STORE_UNREACHABLE]
