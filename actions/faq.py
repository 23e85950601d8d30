"""Answers to the shop's frequently asked questions, composed from the shop policy."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, customer_id_of
from actions.promotions import active_matters, last_shown_product, offer_at
from actions.services import Services
from promotions.decision import OfferContext
from promotions.triggers import Trigger
from store.views import Outcome

logger = logging.getLogger(__name__)

RETRIEVAL_INTENT = "faq"
# Questions that, right after products were shown, mean "I like it but I'm not sure":
# the `product_hesitation` trigger moment of the promotions.
HESITATION_TOPICS = ("shipping_costs", "shipping_times", "payment_methods")


def selected_topic(latest_message: dict[str, Any]) -> str | None:
    """The FAQ topic the ResponseSelector chose, e.g. "faq/shipping_costs" -> "shipping_costs"."""
    selectors = latest_message.get("response_selector") or {}
    prefix = f"{RETRIEVAL_INTENT}/"
    # A ResponseSelector trained for the faq intent reports under "faq"; one trained on
    # all retrieval intents together reports under "default".
    for name in (RETRIEVAL_INTENT, "default"):
        selector = selectors.get(name) or {}
        key = (selector.get("response") or {}).get("intent_response_key") or ""
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    return None


class ActionAnswerFaq(ShopAction):
    """Answers an FAQ from store/shop_policy.yml, so the numbers are always current."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer_faq"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Answer the selected topic; without one, ask the customer to rephrase."""
        topic = selected_topic(tracker.latest_message)
        if topic is None or not answer_topic(dispatcher, tracker, services, topic):
            dispatcher.utter_message(response="utter_default")
            return []
        if topic in HESITATION_TOPICS:
            offer_on_hesitation(dispatcher, tracker, services)
        return []


def answer_topic(
    dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, topic: str
) -> bool:
    """Answer ``topic`` from the policy and record it; False when the policy has no answer.

    Also used by the forms, which answer a policy question asked instead of their answer.
    """
    try:
        answer = messages.policy_answer(services.policy, topic)
    except messages.UnknownTopic:
        # The NLU model knows a topic the policy has no answer for: our bug, not theirs.
        logger.error("No policy answer for FAQ topic %r", topic)
        return False
    dispatcher.utter_message(text=answer)
    services.repository.record_outcome(tracker.sender_id, Outcome.FAQ_ANSWERED, ref=topic)
    return True


def offer_on_hesitation(
    dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
) -> None:
    """After a price/shipping question about a product shown in this session, maybe an offer."""
    customer_id = customer_id_of(tracker)
    if customer_id is None:
        return
    title, price = last_shown_product(services, tracker.sender_id)
    if title is None:  # a general policy question, not hesitation over a product
        return
    context = OfferContext(
        Trigger.PRODUCT_HESITATION,
        active_matters=active_matters(tracker),
        product=title,
        product_price=price,
    )
    offer = offer_at(services, tracker.sender_id, customer_id, context)
    if offer is not None:
        dispatcher.utter_message(text=offer.text, buttons=list(offer.buttons))
