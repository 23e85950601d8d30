"""A typed "yes" to "shall I pass you on?" hands the customer over, as the button does."""

from __future__ import annotations

from rasa_sdk.events import BotUttered

from actions.promotions import ActionAnswerYesNo
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import SENDER, first_text, run, tracker, user

ADDRESS = "can I change the delivery address for my order"
PASS_ME_ON = BotUttered(
    text="I can't change an address here — our team can. Shall I pass you on?",
    data={
        "buttons": [
            {"title": "Yes, pass me on", "payload": "/request_human"},
            {"title": "No thanks", "payload": "/deny"},
        ]
    },
)


def said(customer: Customer, *events: dict, intent: str) -> object:
    return tracker(
        slots={"customer_id": str(customer.id)},
        latest_message={"text": "yes", "intent": {"name": intent, "confidence": 1.0}},
        events=list(events),
    )


def handoffs_recorded(shop: Shop) -> list[str | None]:
    session = shop.repo.current_session(SENDER)
    outcomes = session.outcomes if session is not None else []
    return [o.ref for o in outcomes if o.kind == "handoff_requested"]


async def test_a_typed_yes_after_a_person_was_offered_queues_the_handoff_with_the_request(
    shop: Shop, anna: Customer
) -> None:
    yes = said(
        anna,
        user(ADDRESS, "unsupported_request"),
        PASS_ME_ON,
        user("yes", "affirm"),
        intent="affirm",
    )
    _, dispatcher = await run(ActionAnswerYesNo(), yes)
    assert "member of our team" in first_text(dispatcher)
    handoff = shop.repo.request_handoff(SENDER, anna.id, None)
    # The agent reads what the customer wanted, not "yes".
    assert (handoff.reason, handoff.status) == (ADDRESS, "waiting")
    assert handoffs_recorded(shop) == [str(handoff.id)]


async def test_a_yes_to_a_later_answer_does_not_hand_off(shop: Shop, anna: Customer) -> None:
    yes = said(
        anna,
        user(ADDRESS, "unsupported_request"),
        PASS_ME_ON,
        user("how much is shipping", "faq"),
        BotUttered(text="Standard delivery is £3.95."),
        user("yes", "affirm"),
        intent="affirm",
    )
    _, dispatcher = await run(ActionAnswerYesNo(), yes)
    assert first_text(dispatcher) == "Great! What else can I help you with?"
    assert handoffs_recorded(shop) == []


async def test_a_no_after_a_person_was_offered_hands_nothing_over(
    shop: Shop, anna: Customer
) -> None:
    no = said(
        anna, user(ADDRESS, "unsupported_request"), PASS_ME_ON, user("no", "deny"), intent="deny"
    )
    _, dispatcher = await run(ActionAnswerYesNo(), no)
    assert dispatcher.messages[0]["response"] == "utter_anything_else"
    assert handoffs_recorded(shop) == []
