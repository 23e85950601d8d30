"""A "yes" to an offer the shop can no longer honour: a polite reason, a record, no coupon."""

from __future__ import annotations

from sqlalchemy import func, select

from actions import messages
from actions.promotions import ActionAcceptOffer
from promotions.models import PromoCoupon
from promotions.replies import ReplyStatus
from promotions.repository import PromotionRepository
from tests.actions.offer_helpers import campaign, outcomes
from tests.actions.shop_data import Customer, Shop
from tests.actions.test_promotion_actions import earlier_visit, offer_at_session_start, signed_in
from tests.actions.trackers import first_text, run


def coupons(shop: Shop) -> int:
    with shop.sessions() as s:
        return s.scalar(select(func.count()).select_from(PromoCoupon)) or 0


async def test_a_yes_after_the_campaign_was_paused_is_refused_politely_and_recorded(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    promos.save_campaign_data(campaign("back", ["returning_session_start"]))
    earlier_visit(shop, carla)
    await offer_at_session_start(shop)
    promos.set_status("back", "paused")

    _, dispatcher = await run(ActionAcceptOffer(), signed_in(carla))
    assert first_text(dispatcher) == messages.offer_reply(ReplyStatus.OFFER_WITHDRAWN, None)
    assert coupons(shop) == 0
    assert ("offer_refused", "back") in outcomes(shop)
    assert not [kind for kind, _ in outcomes(shop) if kind in ("offer_accepted", "coupon_issued")]


async def test_a_yes_after_opting_out_elsewhere_gets_no_code(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    promos.save_campaign_data(campaign("back", ["returning_session_start"]))
    earlier_visit(shop, carla)
    await offer_at_session_start(shop)
    promos.set_opt_out(carla.id, True)

    _, dispatcher = await run(ActionAcceptOffer(), signed_in(carla))
    text = first_text(dispatcher)
    assert text == messages.offer_reply(ReplyStatus.OFFERS_OFF, None)
    assert "account settings" in text
    assert coupons(shop) == 0
    assert ("offer_refused", "back") in outcomes(shop)


async def test_a_yes_gets_the_terms_shown_even_after_the_marketer_changed_them(
    shop: Shop, promos: PromotionRepository, carla: Customer
) -> None:
    promos.save_campaign_data(campaign("back", ["returning_session_start"]))
    earlier_visit(shop, carla)
    offer = await offer_at_session_start(shop)
    assert "10% off" in offer["text"]
    richer = campaign("back", ["returning_session_start"])
    richer["variants"][0]["coupon"]["value"] = 60
    richer["variants"][0]["accepted_template"] = "Now 60% off: {{ code }}"
    promos.save_campaign_data(richer)

    _, dispatcher = await run(ActionAcceptOffer(), signed_in(carla))
    assert (first_text(dispatcher) or "").startswith("Your code is ")
    with shop.sessions() as s:
        assert s.scalar(select(PromoCoupon.value)) == 10
