"""A typed acceptance the NLU is unsure of is asked back before a coupon is issued."""

from __future__ import annotations

from rasa_sdk.events import BotUttered

from actions.promotions import ActionAcceptOffer, ActionAnswerYesNo
from promotions.replies import OfferPayload
from promotions.repository import PromotionRepository
from tests.actions.offer_helpers import campaign, outcomes
from tests.actions.shop_data import Customer, Shop
from tests.actions.test_promotion_actions import (
    earlier_visit,
    offer_at_session_start,
    signed_in,
    started_with,
)
from tests.actions.trackers import first_text, run, tracker, user


def typed(customer: Customer, text: str, confidence: float, *events: dict):
    """A tracker whose latest message is ``text``, typed, read as accept_offer."""
    intent = {"name": "accept_offer", "confidence": confidence}
    return tracker(
        slots={"customer_id": str(customer.id), "customer_name": "Carla"},
        latest_message={"text": text, "intent": intent, "intent_ranking": [intent]},
        events=[*events] if events else None,
    )


async def test_an_unsure_typed_acceptance_is_asked_back_before_a_coupon_is_issued(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    promos.save_campaign_data(campaign("back", ["returning_session_start"]))
    earlier_visit(shop, carla)
    offer = await offer_at_session_start(shop)

    # A decline the NLU misread as accept_offer (0.87 on the served model).
    _, asked = await run(ActionAcceptOffer(), typed(carla, "I'll pass on the coupon", 0.87))

    [question] = asked.messages
    assert question["text"] == "Just to be sure: shall I send you the code?"
    assert [b["payload"] for b in question["buttons"]] == [
        OfferPayload.ACCEPT,
        OfferPayload.DECLINE,
    ]
    assert outcomes(shop) == [("offer_shown", "back")]  # no coupon, no answer recorded
    exposure = promos.exposure(promos.open_offer(carla.id, "back"))
    assert exposure is not None and exposure.response is None

    # "no" to the question declines the offer; nothing was issued.
    no = signed_in(
        carla,
        *started_with(offer),
        user("I'll pass on the coupon", "accept_offer"),
        BotUttered(text=question["text"], data={"buttons": question["buttons"]}),
        user("no", "deny"),
        intent="deny",
    )
    _, declined = await run(ActionAnswerYesNo(), no)
    assert "won't bring it up again" in first_text(declined)
    assert ("offer_declined", None) in outcomes(shop)
    assert not any(kind == "coupon_issued" for kind, _ in outcomes(shop))


async def test_a_sure_or_clicked_acceptance_gets_the_code_at_once(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    promos.save_campaign_data(campaign("back", ["returning_session_start"]))
    earlier_visit(shop, carla)
    await offer_at_session_start(shop)

    _, sure = await run(ActionAcceptOffer(), typed(carla, "yes send me the code", 0.99))
    assert first_text(sure).startswith("Your code is ")
    # The question's own "Yes please" button (text "/accept_offer") is never asked back.
    _, clicked = await run(ActionAcceptOffer(), typed(carla, "/accept_offer", 0.5))
    assert first_text(clicked) == first_text(sure)


async def test_an_unsure_acceptance_with_nothing_to_accept_is_not_asked_back(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    _, dispatcher = await run(ActionAcceptOffer(), typed(carla, "I'll take it", 0.6))
    assert first_text(dispatcher) == "I don't have an open offer for you right now."
