"""Actions on a tracker that holds earlier Rasa sessions, as a long chat's calls do.

Rasa sends every session of the sender with every call; the actions read the current
session from the end of the event list (issue 15), and these tests hold that they still
see exactly the current session: its turns, its matters, the action before this one.
"""

from __future__ import annotations

from rasa_sdk.events import ActionExecuted, SessionStarted

from actions.faq import ActionAnswerFaq
from actions.promotions import ActionOfferPromotion
from promotions.repository import PromotionRepository
from tests.actions.offer_helpers import campaign, outcomes
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import SENDER, run, tracker, user


def earlier_session(*events: dict) -> list[dict]:
    """A finished session before the current one."""
    return [SessionStarted(), ActionExecuted("action_listen"), *events]


def carla_tracker(customer: Customer, events: list[dict], intent: str) -> object:
    return tracker(
        slots={"customer_id": str(customer.id), "customer_name": "Carla"},
        latest_message={"text": "…", "intent": {"name": intent, "confidence": 0.97}},
        events=events,
    )


def shown_lamp(shop: Shop) -> None:
    shop.repo.record_outcome(
        SENDER,
        "recommendations_shown",
        "recommender",
        {"first_title": "Oak Lamp", "first_price": 30.0},
    )


async def test_a_return_in_an_earlier_session_does_not_hold_back_todays_offer(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    promos.save_campaign_data(campaign("pair", ["with_recommendation"]))
    shown_lamp(shop)
    events = earlier_session(
        user("I want to return my lamp", "request_return"),
        ActionExecuted("return_form"),
        ActionExecuted("action_handoff"),
    ) + [
        SessionStarted(),
        ActionExecuted("action_listen"),
        user("what would you recommend", "ask_recommendation"),
        ActionExecuted("action_recommend"),
    ]
    _, dispatcher = await run(
        ActionOfferPromotion(), carla_tracker(carla, events, "ask_recommendation")
    )
    assert dispatcher.messages and dispatcher.messages[0]["text"].startswith("Welcome back")
    assert ("offer_shown", "pair") in outcomes(shop)


async def test_a_recommendation_that_ended_the_last_session_is_no_trigger_in_this_one(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    promos.save_campaign_data(campaign("pair", ["with_recommendation"]))
    shown_lamp(shop)
    events = earlier_session(
        user("what would you recommend", "ask_recommendation"),
        ActionExecuted("action_recommend"),
    ) + [SessionStarted()]
    _, dispatcher = await run(
        ActionOfferPromotion(), carla_tracker(carla, events, "ask_recommendation")
    )
    assert dispatcher.messages == []
    assert ("offer_shown", "pair") not in outcomes(shop)


async def test_session_history_counts_only_the_current_sessions_turns(
    shop: Shop, carla: Customer
) -> None:
    events = earlier_session(
        user("hi", "greet"),
        ActionExecuted("action_greet"),
        ActionExecuted("action_listen"),
        user("where is my order", "order_status"),
    ) + [
        SessionStarted(),
        ActionExecuted("action_listen"),
        user("how much is shipping", "faq", retrieval_key="faq/shipping_cost"),
    ]
    await run(ActionAnswerFaq(), carla_tracker(carla, events, "faq"))
    session = shop.repo.current_session(SENDER)
    assert session is not None
    assert (session.turns, list(session.intents)) == (1, ["faq/shipping_cost"])


def recommendation_turn() -> list[dict]:
    return [
        SessionStarted(),
        ActionExecuted("action_listen"),
        user("hi", "greet"),
        ActionExecuted("action_greet"),
        ActionExecuted("action_listen"),
        user("what would you recommend", "ask_recommendation"),
    ]


async def test_the_offer_after_this_turns_recommendation_leaves_the_totals_to_it(
    shop: Shop, carla: Customer
) -> None:
    # The recommendation of this turn stored the session's totals (here: it did not run,
    # so the store still holds the earlier count): the offer adds no write of its own.
    await run(ActionAnswerFaq(), carla_tracker(carla, recommendation_turn()[:4], "greet"))
    events = [*recommendation_turn(), ActionExecuted("action_recommend")]
    await run(ActionOfferPromotion(), carla_tracker(carla, events, "ask_recommendation"))
    session = shop.repo.current_session(SENDER)
    assert session is not None and session.turns == 1


async def test_an_offer_with_no_recommendation_before_it_in_the_turn_stores_the_turn(
    shop: Shop, carla: Customer
) -> None:
    await run(ActionAnswerFaq(), carla_tracker(carla, recommendation_turn()[:4], "greet"))
    events = [*recommendation_turn(), ActionExecuted("action_answer_faq")]
    await run(ActionOfferPromotion(), carla_tracker(carla, events, "ask_recommendation"))
    session = shop.repo.current_session(SENDER)
    assert session is not None
    assert (session.turns, list(session.intents)) == (2, ["greet", "ask_recommendation"])
