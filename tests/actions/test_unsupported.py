"""Requests the chat does not serve get an honest answer from the policy and a handoff offer."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActionExecuted, SessionStarted

from actions.handoff import ActionHandoff
from actions.messages import STORE_UNREACHABLE, tone
from actions.tone import ActionUnsupportedRequest
from store.not_served import OTHER, topic_for
from store.policy import ShopPolicy, load_policy
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import SENDER, parse_data, run, tracker, user
from tests.store.conftest import POLICY_FILE

PASS_ON = [
    {"title": "Yes, pass me on", "payload": "/request_human"},
    {"title": "No thanks", "payload": "/deny"},
]
TOPICS = [
    ("can I change the delivery address for 19126?", "delivery_address"),
    ("I've moved, please send it to my new house", "delivery_address"),
    ("can I pay for 18230 with a different card", "payment"),
    ("you charged me twice", "payment"),
    ("do you price match?", "price_match"),
    ("it's cheaper on another website", "price_match"),
    ("the driver threw my parcel over the fence", "courier_complaint"),
    ("Evri left it in the bin", "courier_complaint"),
    ("the delivery driver was rude to my mum", "courier_complaint"),
    ("I need to update where my parcel is going", "delivery_address"),
    ("your staff member was really unpleasant", "staff_complaint"),
    ("the woman I spoke to on the phone was rude", "staff_complaint"),
    ("I need a VAT receipt for my order", "invoice"),
    ("can I have invoices for my last three orders", "invoice"),
    ("can you gift wrap my order", OTHER),
]


@pytest.fixture(scope="module")
def policy() -> ShopPolicy:
    return load_policy(POLICY_FILE)


def test_every_topic_of_the_policy_has_an_answer_and_keywords(policy: ShopPolicy) -> None:
    topics = {t.topic: t for t in policy.not_served_here}
    assert {"delivery_address", "payment", "price_match", "invoice", OTHER} <= set(topics)
    for topic in policy.not_served_here:
        assert topic.answer.endswith((".", "!")), topic.topic
        assert "  " not in topic.answer
        assert topic.keywords or topic.topic == OTHER


def test_each_topics_own_keywords_choose_it(policy: ShopPolicy) -> None:
    for topic in policy.not_served_here:
        for keyword in topic.keywords:
            assert topic_for(keyword, policy.not_served_here).topic == topic.topic, keyword


@pytest.mark.parametrize(("text", "topic"), TOPICS)
def test_the_request_picks_its_topic(policy: ShopPolicy, text: str, topic: str) -> None:
    assert topic_for(text, policy.not_served_here).topic == topic


def _turn(text: str):
    return tracker(latest_message=parse_data(text, "unsupported_request"))


async def test_change_of_address_is_answered_honestly_and_never_starts_a_flow(
    shop: Shop,
) -> None:
    events, dispatcher = await run(
        ActionUnsupportedRequest(), _turn("can I change the delivery address for 19126?")
    )
    # No slot, no form, no follow-up action: nothing here can start a return.
    assert events == []
    (message,) = dispatcher.messages
    assert message["text"] == (
        "I can't change a delivery address here, I'm afraid — but our team can, as long as "
        "the parcel hasn't left our warehouse yet. Shall I pass you on to them?"
    )
    assert message["buttons"] == PASS_ON


async def test_each_topic_answers_with_its_own_words_and_the_offer(shop: Shop) -> None:
    policy = load_policy(POLICY_FILE)
    answers = {t.topic: t.answer for t in policy.not_served_here}
    for text, topic in TOPICS:
        _, dispatcher = await run(ActionUnsupportedRequest(), _turn(text))
        (message,) = dispatcher.messages
        assert message["text"] == f"{answers[topic]} {tone.SHALL_I_PASS_YOU_ON}", text
        assert message["buttons"] == PASS_ON


async def test_an_angry_complaint_is_apologised_for_first(shop: Shop) -> None:
    _, dispatcher = await run(
        ActionUnsupportedRequest(), _turn("your driver threw my parcel!!! RIDICULOUS")
    )
    apology, answer = dispatcher.messages
    assert apology["text"] in tone.APOLOGIES
    assert answer["text"].startswith("I'm sorry about that delivery.")


async def test_with_the_database_down_it_apologises(database_down: None) -> None:
    _, dispatcher = await run(ActionUnsupportedRequest(), _turn("do you price match?"))
    assert [m["text"] for m in dispatcher.messages] == [STORE_UNREACHABLE]


async def test_pass_me_on_button_hands_over_with_the_request_as_reason(
    shop: Shop, anna: Customer
) -> None:
    asked = "can I change the delivery address for 19126?"
    events = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        user(asked, "unsupported_request"),
        ActionExecuted("action_unsupported_request"),
        ActionExecuted("action_listen"),
        user("/request_human", "request_human"),
    ]
    t = tracker(
        slots={"customer_id": str(anna.id)},
        latest_message=parse_data("/request_human", "request_human"),
        events=events,
    )
    await run(ActionHandoff(), t)
    # The agent reads what the customer wanted, not the button's payload.
    assert shop.repo.request_handoff(SENDER, anna.id, None).reason == asked
