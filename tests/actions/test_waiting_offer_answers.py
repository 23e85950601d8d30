"""A typed answer to an offer that waited in the web chat (outreach) answers that offer.

The chat shows the waiting offer before the customer's first message, so Rasa's tracker
never holds it as the bot's reply; ``action_answer_yes_no`` still takes a "yes" right after
it as accepting, and a "no" as declining, but not once the customer has talked since.
"""

from __future__ import annotations

import time
from datetime import timedelta

from actions.promotions import ActionAnswerYesNo
from promotions.acceptance import ShownOffer
from promotions.assignment import Arm
from promotions.outreach_outbox import Outbox, Queued, Status
from promotions.outreach_web import take_waiting
from promotions.repository import PromotionRepository
from promotions.triggers import Trigger
from store.db import utcnow
from tests.actions.shop_data import Customer, Shop
from tests.actions.test_promotion_actions import signed_in
from tests.actions.trackers import first_text, run, user
from tests.support.outreach import proactive_campaign, save_campaign

KEY = "winback"


def offer_waiting_in_web_chat(
    shop: Shop, customer: Customer, *, shown: bool = True, channel: str = "web"
) -> None:
    """An outreach offer queued and sent an hour ago: to the web chat (shown now if
    ``shown``) or by Telegram."""
    save_campaign(shop.sessions, proactive_campaign(KEY, outreach={"channels": [channel]}))
    campaign = PromotionRepository(shop.sessions).campaign(KEY)
    at = utcnow() - timedelta(hours=1)
    outbox = Outbox(shop.sessions)
    message_id = outbox.queue(
        Queued(customer_id=customer.id, campaign_key=KEY, arm=Arm.VARIANT, channel=channel,
               idempotency_key=f"{KEY}:{customer.id}", status=Status.PENDING, variant_key="a",
               message="Carla, take 10% off!", offer_spec=ShownOffer.of(campaign.variants[0]).to_json(),
               note=None),
        Trigger.OUTREACH,
        at,
    )  # fmt: skip
    assert message_id is not None and outbox.claim(message_id, at)
    outbox.finish(
        message_id, Status.SENT, at, body="Carla, take 10% off!" if channel == "web" else None
    )
    if shown and channel == "web":
        assert take_waiting(shop.sessions, customer.id, utcnow())


async def test_a_typed_yes_as_the_first_message_after_the_waiting_offer_takes_it(
    shop: Shop, carla: Customer
) -> None:
    offer_waiting_in_web_chat(shop, carla)
    yes = signed_in(carla, user("yes please", "affirm"), intent="affirm")

    _, dispatcher = await run(ActionAnswerYesNo(), yes)

    assert first_text(dispatcher).startswith("Here is your code: ")
    assert PromotionRepository(shop.sessions).open_offer(carla.id, KEY) is not None


async def test_a_typed_yes_to_an_offer_sent_by_telegram_takes_it(
    shop: Shop, carla: Customer
) -> None:
    offer_waiting_in_web_chat(shop, carla, channel="telegram")
    yes = signed_in(carla, user("yes please", "affirm"), intent="affirm")

    _, dispatcher = await run(ActionAnswerYesNo(), yes)

    assert first_text(dispatcher).startswith("Here is your code: ")


async def test_a_typed_no_declines_the_waiting_offer(shop: Shop, carla: Customer) -> None:
    offer_waiting_in_web_chat(shop, carla)
    no = signed_in(carla, user("no thanks", "deny"), intent="deny")

    _, dispatcher = await run(ActionAnswerYesNo(), no)

    assert "won't bring it up again" in first_text(dispatcher)


async def test_a_yes_after_talking_about_something_else_does_not_take_it(
    shop: Shop, carla: Customer
) -> None:
    offer_waiting_in_web_chat(shop, carla)
    question = user("where is my order", "order_status")
    question["timestamp"] = time.time() + 1  # after the offer was shown
    yes = signed_in(carla, question, user("yes", "affirm"), intent="affirm")

    _, dispatcher = await run(ActionAnswerYesNo(), yes)

    assert first_text(dispatcher) == "Great! What else can I help you with?"


async def test_a_yes_before_the_waiting_offer_was_shown_does_not_take_it(
    shop: Shop, carla: Customer
) -> None:
    offer_waiting_in_web_chat(shop, carla, shown=False)
    yes = signed_in(carla, user("yes", "affirm"), intent="affirm")

    _, dispatcher = await run(ActionAnswerYesNo(), yes)

    assert first_text(dispatcher) == "Great! What else can I help you with?"
