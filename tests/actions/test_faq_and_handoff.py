"""action_answer_faq and action_handoff on a real shop database."""

from __future__ import annotations

from rasa_sdk.events import ActionExecuted, SessionStarted

from actions.faq import ActionAnswerFaq, selected_topic
from actions.handoff import ActionHandoff
from actions.messages import STORE_UNREACHABLE
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import SENDER, parse_data, run, texts, tracker, user


def _faq_tracker(topic_key: str | None, text: str = "how much is delivery?"):
    message = parse_data(text, "faq", retrieval_key=topic_key)
    events = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        user("hi", "greet"),
        ActionExecuted("action_greet"),
        ActionExecuted("action_listen"),
        user(text, "faq", retrieval_key=topic_key),
    ]
    return tracker(latest_message=message, events=events)


async def test_faq_is_answered_from_the_shop_policy(shop: Shop) -> None:
    events, dispatcher = await run(ActionAnswerFaq(), _faq_tracker("faq/shipping_costs"))
    assert events == []
    assert texts(dispatcher) == [
        "Standard delivery costs £3.95 and is free on orders over £50. Express delivery "
        "costs £6.95. Next-day delivery costs £9.95 (order by 2pm on a working day). "
        "International delivery costs £12.95 and is free on orders over £150; it goes to "
        "Ireland, France, Germany, Netherlands, Belgium and Spain."
    ]
    session = shop.repo.current_session(SENDER)
    assert [(o.kind, o.ref) for o in session.outcomes] == [("faq_answered", "shipping_costs")]
    # The session history names the retrieval intent's topic, not just "faq".
    assert (session.turns, list(session.intents)) == (2, ["greet", "faq/shipping_costs"])


async def test_faq_without_a_selected_topic_asks_to_rephrase(shop: Shop) -> None:
    events, dispatcher = await run(ActionAnswerFaq(), _faq_tracker(None))
    assert events == []
    assert texts(dispatcher) == ["utter_default"]
    assert shop.repo.current_session(SENDER).outcomes == ()


async def test_faq_topic_the_policy_does_not_know_asks_to_rephrase(shop: Shop) -> None:
    _, dispatcher = await run(ActionAnswerFaq(), _faq_tracker("faq/gift_wrapping"))
    assert texts(dispatcher) == ["utter_default"]


async def test_faq_with_the_database_down_apologises(database_down: None) -> None:
    events, dispatcher = await run(ActionAnswerFaq(), _faq_tracker("faq/warranty"))
    assert events == []
    assert texts(dispatcher) == [STORE_UNREACHABLE]


def test_selected_topic_reads_the_intent_response_key() -> None:
    message = parse_data("do you take paypal", "faq", retrieval_key="faq/payment_methods")
    assert selected_topic(message) == "payment_methods"
    assert selected_topic(parse_data("hi", "greet")) is None


async def test_handoff_queues_the_customer_once(shop: Shop, anna: Customer) -> None:
    message = parse_data("let me talk to a person please", "request_human")
    t = tracker(slots={"customer_id": str(anna.id)}, latest_message=message)
    events, dispatcher = await run(ActionHandoff(), t)
    assert events == []
    assert texts(dispatcher) == [
        "I've asked a member of our team to take over — they'll reply right here in this "
        "chat as soon as they can."
    ]
    _, again = await run(ActionHandoff(), t)
    assert texts(again) == [
        "You're already in the queue for our team — someone will reply right here soon."
    ]
    handoff = shop.repo.request_handoff(SENDER, anna.id, None)
    assert (handoff.customer_id, handoff.reason, handoff.status) == (
        anna.id,
        "let me talk to a person please",
        "waiting",
    )
    outcomes = shop.repo.current_session(SENDER).outcomes
    assert [(o.kind, o.ref) for o in outcomes] == [("handoff_requested", str(handoff.id))]


async def test_handoff_with_the_database_down_still_answers(database_down: None) -> None:
    events, dispatcher = await run(ActionHandoff(), tracker())
    assert events == []
    assert texts(dispatcher) == [STORE_UNREACHABLE]


def test_selected_topic_of_a_selector_trained_on_all_retrieval_intents() -> None:
    message = parse_data("is there a warranty", "faq", retrieval_key="faq/warranty")
    message["response_selector"]["default"] = message["response_selector"].pop("faq")
    assert selected_topic(message) == "warranty"
