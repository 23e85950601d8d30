"""Which trigger ``action_offer_promotion`` stands for, given the action that ran before it."""

from __future__ import annotations

from rasa_sdk.events import ActionExecuted

from actions.promotions import TRIGGER_AFTER, ActionOfferPromotion
from promotions.repository import PromotionRepository
from promotions.triggers import Trigger
from tests.actions.offer_helpers import campaign, outcomes
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import run, tracker, user


def after(action: str, customer: Customer):
    """A tracker of ``customer`` in which ``action`` answered the latest message."""
    return tracker(
        slots={"customer_id": str(customer.id), "customer_name": "Carla"},
        latest_message={"text": "thanks", "intent": {"name": "thank", "confidence": 1.0}},
        events=[ActionExecuted("action_listen"), user("hm", "thank"), ActionExecuted(action)],
    )


def test_only_recommending_actions_hand_their_trigger_to_the_offer_action() -> None:
    assert TRIGGER_AFTER == {
        "action_recommend": Trigger.WITH_RECOMMENDATION,
        "action_search_products": Trigger.WITH_RECOMMENDATION,
    }


async def test_no_second_offer_after_the_order_status_answer(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    # action_order_status makes its after_order_resolved offer itself; the offer action
    # running after it must not make another one.
    promos.save_campaign_data(campaign("after", [Trigger.AFTER_ORDER_RESOLVED.value]))
    _, dispatcher = await run(ActionOfferPromotion(), after("action_order_status", carla))
    assert dispatcher.messages == []
    assert ("offer_shown", "after") not in outcomes(shop)
    assert promos.open_offer(carla.id) is None
