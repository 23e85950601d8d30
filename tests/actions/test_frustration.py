"""An upset customer reads an apology first, then the answer, and can reach a person."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActionExecuted, BotUttered, SessionStarted

from actions.faq import ActionAnswerFaq
from actions.frustration import frustration_signals, is_frustrated
from actions.messages import tone
from actions.orders import ValidateOrderStatusForm
from actions.tone import ActionAcknowledgeFrustration
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import form_tracker, parse_data, run, texts, tracker, user

FRUSTRATED = [
    "this is the third time I'm asking, where the hell is my order",
    "WHERE IS MY ORDER",
    "this is useless",
    "absolutely ridiculous!!!",
    "are you even listening",
    "I already told you the number",
    "still waiting for my parcel, 2 weeks now",
    "how many times do I have to ask",
    "ffs where is it",
    "what a waste of time",
    "I'm asking again about 18992",
    "why?!",
    "for the second time, where is it",
    "second time i've contacted you about this",
    "this is shit",
]
CALM = [
    "where is my order 18992",
    "is it still in stock",
    "can you show me that again",
    "I need a VAT invoice from DPD",
    "hello there",
    "my order number is AB 123",
    "shell lamp in brass",
    "thanks, that's great!",
    "can I return a scrap of fabric",
    # Words that only begin like swearing, and a repeat that is not a complaint.
    "is the Arsenal mug in stock",
    "do you sell shitake mushroom kits",
    "I'd like the crape paper garland",
    "the second time I order from you and it's lovely",
]


@pytest.mark.parametrize("text", FRUSTRATED)
def test_frustrated_messages_are_heard(text: str) -> None:
    assert is_frustrated(text), text


@pytest.mark.parametrize("text", CALM)
def test_calm_messages_are_not_taken_for_frustration(text: str) -> None:
    assert not is_frustrated(text), frustration_signals(text)


def test_the_issues_angry_sentence_swears_and_repeats() -> None:
    text = "this is the third time I'm asking, where the hell is my order"
    assert set(frustration_signals(text)) == {"swearing", "repeating"}


def _faq_turn(text: str, events_after_user: list | None = None):
    message = parse_data(text, "faq", retrieval_key="faq/shipping_costs")
    events = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        user(text, "faq", retrieval_key="faq/shipping_costs"),
        *(events_after_user or []),
    ]
    return tracker(latest_message=message, events=events)


async def test_frustrated_question_gets_the_apology_first_then_the_answer(shop: Shop) -> None:
    _, dispatcher = await run(ActionAnswerFaq(), _faq_turn("how much is shipping?? ridiculous"))
    first, answer = dispatcher.messages
    assert first["text"] in tone.APOLOGIES
    assert first["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert answer["text"].startswith("Standard delivery costs £3.95")


async def test_calm_question_gets_no_apology(shop: Shop) -> None:
    _, dispatcher = await run(ActionAnswerFaq(), _faq_turn("how much is shipping?"))
    assert len(dispatcher.messages) == 1
    assert not tone.is_apology(dispatcher.messages[0]["text"])


async def test_a_turn_apologises_once_however_many_actions_run(shop: Shop) -> None:
    said = BotUttered(text=tone.APOLOGIES[2])
    turn = _faq_turn("how much is shipping?? ridiculous", [ActionExecuted("x"), said])
    _, dispatcher = await run(ActionAnswerFaq(), turn)
    assert [m["text"] for m in dispatcher.messages if tone.is_apology(m["text"])] == []


async def test_apology_varies_from_turn_to_turn() -> None:
    assert len({tone.apology(turn) for turn in range(len(tone.APOLOGIES))}) > 1


async def test_form_validation_apologises_before_its_own_answer(shop: Shop, anna: Customer) -> None:
    t = form_tracker(
        "order_status_form",
        candidates={"order_number": "99999"},
        slots={"customer_id": str(anna.id)},
        requested_slot="order_number",
        text="99999 FOR THE THIRD TIME",
    )
    _, dispatcher = await run(ValidateOrderStatusForm(), t)
    said = texts(dispatcher)
    assert said[0] in tone.APOLOGIES
    assert said[1] == "I can't find an order 99999 — please check the number."


async def test_pure_frustration_gets_an_apology_and_one_way_to_a_person(shop: Shop) -> None:
    text = "this is useless"
    t = tracker(
        latest_message=parse_data(text, "express_frustration"),
    )
    events, dispatcher = await run(ActionAcknowledgeFrustration(), t)
    assert events == []
    apology, offer = dispatcher.messages
    assert apology["text"] in tone.APOLOGIES
    assert offer["text"] == tone.HOW_CAN_I_PUT_IT_RIGHT
    buttons = [b for m in dispatcher.messages for b in m.get("buttons") or []]
    assert buttons == [{"title": "Talk to a person", "payload": "/request_human"}]


async def test_frustration_the_detector_misses_is_still_apologised_for(shop: Shop) -> None:
    # NLU knows "why is this so hard" is frustration even though no pattern fires.
    t = tracker(latest_message=parse_data("why is this so hard", "express_frustration"))
    _, dispatcher = await run(ActionAcknowledgeFrustration(), t)
    apology, offer = dispatcher.messages
    assert apology["text"] in tone.APOLOGIES
    assert offer["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
