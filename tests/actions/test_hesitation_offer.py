"""The `product_hesitation` offer: a shipping or payment question right after products were shown."""

from __future__ import annotations

from typing import Any

from actions.faq import ActionAnswerFaq
from promotions.repository import PromotionRepository
from tests.actions.offer_helpers import campaign, outcomes
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import SENDER, run, texts, tracker

SHIPPING_OFFER = {
    "key": "a",
    "weight": 1,
    "template": "Still thinking about the {{ product }}? {{ discount }} off your shipping.",
    "coupon": {"kind": "amount", "value": 4.95, "min_basket": 20, "validity_days": 5},
}


def faq_question(topic: str, customer: Customer | None) -> Any:
    """A tracker whose latest message the ResponseSelector answered with faq/<topic>."""
    slots = {"customer_id": str(customer.id), "customer_name": "Carla"} if customer else {}
    return tracker(
        slots=slots,
        latest_message={
            "text": "how much is shipping?",
            "intent": {"name": "faq", "confidence": 0.97},
            "response_selector": {"faq": {"response": {"intent_response_key": f"faq/{topic}"}}},
        },
    )


def products_were_shown(shop: Shop) -> None:
    shop.repo.record_outcome(
        SENDER,
        "recommendations_shown",
        "recommender",
        {"first_title": "Oak Lamp", "first_price": 30.0},
    )


async def test_shipping_question_after_products_gets_the_answer_then_the_offer(
    shop: Shop,
    promos: PromotionRepository,
    carla: Customer,
) -> None:
    promos.save_campaign_data(campaign("ship", ["product_hesitation"], variants=[SHIPPING_OFFER]))
    products_were_shown(shop)

    _, dispatcher = await run(ActionAnswerFaq(), faq_question("shipping_costs", carla))

    answer, offer = texts(dispatcher)
    assert answer.startswith("Standard delivery costs")
    assert offer == "Still thinking about the Oak Lamp? £4.95 off your shipping."
    assert ("offer_shown", "ship") in outcomes(shop)


async def test_shipping_question_without_products_shown_gets_only_the_answer(
    shop: Shop,
    promos: PromotionRepository,
    carla: Customer,
) -> None:
    promos.save_campaign_data(campaign("ship", ["product_hesitation"], variants=[SHIPPING_OFFER]))

    _, dispatcher = await run(ActionAnswerFaq(), faq_question("shipping_costs", carla))

    assert len(dispatcher.messages) == 1
    assert promos.open_offer(carla.id) is None


async def test_warranty_question_is_not_hesitation(
    shop: Shop,
    promos: PromotionRepository,
    carla: Customer,
) -> None:
    promos.save_campaign_data(campaign("ship", ["product_hesitation"], variants=[SHIPPING_OFFER]))
    products_were_shown(shop)

    _, dispatcher = await run(ActionAnswerFaq(), faq_question("warranty", carla))

    assert len(dispatcher.messages) == 1


async def test_guest_asking_about_shipping_gets_no_offer(
    shop: Shop, promos: PromotionRepository
) -> None:
    promos.save_campaign_data(campaign("ship", ["product_hesitation"], variants=[SHIPPING_OFFER]))
    products_were_shown(shop)

    _, dispatcher = await run(ActionAnswerFaq(), faq_question("shipping_costs", None))

    assert len(dispatcher.messages) == 1
