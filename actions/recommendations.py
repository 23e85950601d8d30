"""Product suggestions in the chat: recommendations, free-text search, bought together.

The actions ask ``actions.product_advice.ProductAdvisor`` (the recsys models, loaded once
per process) and answer with each product's title, price and reason as text, plus quick
replies for "more like this". Every list shown is recorded in the session history as a
``recommendations_shown`` outcome (source, product ids, the model versions), and its
product ids go into the ``shown_products`` slot, so a follow-up ("how much is the second")
knows what "the second" is (``actions.product_question``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, customer_id_of, order_in_slots
from actions.product_advice import Advice, ProductAdvisor, Suggestion
from actions.search_refinement import LAST_SEARCH_SLOT, query_for
from actions.services import Services, get_advisor
from store.rules import match_line
from store.views import OrderView, Outcome

logger = logging.getLogger(__name__)

SHOWN = 3
TITLE_IN_BUTTON = 28
LIKED_PRODUCT_ENTITY = "liked_product"
PRODUCT_ENTITY = "product"
SHOWN_PRODUCTS_SLOT = "shown_products"
DISCUSSED_PRODUCT_SLOT = "discussed_product"
POPULAR_BUTTON = {"title": messages.SHOW_POPULAR, "payload": "/ask_recommendation"}


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Values of ``entity`` in the latest message, in order."""
    entities = tracker.latest_message.get("entities") or []
    return [str(e.get("value")) for e in entities if e.get("entity") == entity and e.get("value")]


def describe(suggestion: Suggestion, currency: str) -> str:
    """One line of a list: ``• title — price: why``."""
    return messages.suggestion_line(suggestion.title, suggestion.price, suggestion.reason, currency)


def more_like_buttons(suggestions: tuple[Suggestion, ...] | list[Suggestion]) -> list[dict]:
    """Quick replies asking for more like each suggestion."""
    buttons = []
    for s in suggestions:
        title = s.title if len(s.title) <= TITLE_IN_BUTTON else s.title[: TITLE_IN_BUTTON - 1] + "…"
        entity = json.dumps({LIKED_PRODUCT_ENTITY: str(s.product_id)})
        buttons.append(
            {"title": messages.more_like(title), "payload": f"/ask_recommendation{entity}"}
        )
    return buttons


def record_shown(
    services: Services,
    advisor: ProductAdvisor,
    sender_id: str,
    advice: Advice,
    **detail: Any,
) -> None:
    """Log what was shown in the session history (the offers read the first product)."""
    first = advice.suggestions[0]
    services.repository.record_outcome(
        sender_id,
        Outcome.RECOMMENDATIONS_SHOWN,
        ref=advice.source,
        detail={
            "items": advice.product_ids,
            "first_title": first.title,
            "first_price": first.price,
            "versions": dict(advisor.models.versions),
            **detail,
        },
    )


def shown_products_events(product_ids: list[int]) -> EventList:
    """The slot events that remember a list just shown (a new list: nothing discussed yet)."""
    return [
        SlotSet(SHOWN_PRODUCTS_SLOT, [int(i) for i in product_ids]),
        SlotSet(DISCUSSED_PRODUCT_SLOT, None),
    ]


def show(
    dispatcher: CollectingDispatcher,
    services: Services,
    advisor: ProductAdvisor,
    tracker: Tracker,
    advice: Advice,
    intro: str,
    **detail: Any,
) -> EventList:
    """Say the suggestions with quick replies, record them, and return the slot events."""
    lines = [describe(s, services.policy.currency) for s in advice.suggestions]
    dispatcher.utter_message(
        text="\n".join([intro, *lines]), buttons=more_like_buttons(advice.suggestions)
    )
    record_shown(services, advisor, tracker.sender_id, advice, **detail)
    return shown_products_events(advice.product_ids)


def bought_product(services: Services, customer_id: int | None, names: list[str]) -> int | None:
    """The product of the customer's recent orders that ``names`` ("the lamp") points at."""
    if customer_id is None:
        return None
    for order in services.repository.recent_orders(customer_id, limit=10):
        for name in names:
            line = match_line(order, name)
            if line is not None:
                return line.product_id
    return None


def _liked_product(tracker: Tracker) -> int | None:
    for value in entity_values(tracker, LIKED_PRODUCT_ENTITY):
        if value.isdigit():
            return int(value)
    return None


class ActionRecommend(ShopAction):
    """Recommends products: for the customer, a guest, or "more like" something bought."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_recommend"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Answer with a few products and why, or say that nothing can be recommended."""
        advisor = get_advisor(services)
        customer_id = customer_id_of(tracker)
        liked = _liked_product(tracker)
        names = entity_values(tracker, PRODUCT_ENTITY)
        if liked is None and names:
            liked = bought_product(services, customer_id, names)
            if liked is None and advisor.can_search:
                # "something like a lamp" they never bought: that's a search.
                return search_and_show(dispatcher, tracker, services, advisor)
        advice = advisor.recommend(customer_id, k=SHOWN, like_items=(liked,) if liked else ())
        if not advice.suggestions:
            dispatcher.utter_message(text=messages.CANT_RECOMMEND)
            return []
        if liked is not None and advice.source == "recommender":
            title = advisor.facts.titles.get(liked, "that")
            intro = messages.RECOMMEND_INTRO_LIKED.format(title=title)
        elif customer_id is None or advice.source == "popularity":
            intro = messages.RECOMMEND_INTRO_POPULAR
        else:
            intro = messages.RECOMMEND_INTRO_PERSONAL
        return show(dispatcher, services, advisor, tracker, advice, intro, liked=liked)


def search_and_show(
    dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, advisor: ProductAdvisor
) -> EventList:
    """Search the catalogue for the latest message and answer with the hits (or why none).

    A colour or price said right after a search changes that search ("sorry, I meant green
    ones"; ``actions.search_refinement``); what was searched is kept for the next one.
    """
    if not advisor.can_search:
        message = str(tracker.latest_message.get("text") or "").strip()
        popular = advisor.popular(SHOWN)
        if not popular.suggestions:
            dispatcher.utter_message(text=messages.CANT_RECOMMEND)
            return []
        intro = messages.SEARCH_DOWN_INTRO
        return show(dispatcher, services, advisor, tracker, popular, intro, query=message)
    assert advisor.models.search is not None
    message = query_for(tracker, advisor.models.search.parse)
    searched = [SlotSet(LAST_SEARCH_SLOT, message)]
    advice = advisor.search(message, k=SHOWN)
    if not advice.suggestions:
        dispatcher.utter_message(
            text=nothing_found(advisor, message, services.policy.currency), buttons=[POPULAR_BUTTON]
        )
        services.repository.record_outcome(
            tracker.sender_id, Outcome.SEARCH_FOUND_NOTHING, detail={"query": message}
        )
        return searched
    intro = messages.SEARCH_INTRO
    return searched + show(dispatcher, services, advisor, tracker, advice, intro, query=message)


def nothing_found(advisor: ProductAdvisor, message: str, currency: str = "GBP") -> str:
    """Why a search found nothing, naming the limits the search read from ``message``."""
    assert advisor.models.search is not None
    query = advisor.models.search.parse(message)
    return messages.nothing_found(
        query.text, query.categories, query.min_price, query.max_price, currency
    )


class ActionSearchProducts(ShopAction):
    """Finds products from a free-text description, budget, category and colour."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_search_products"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Answer with the best matches, or a helpful message when nothing matches."""
        return search_and_show(dispatcher, tracker, services, get_advisor(services))


def suggest_bought_together(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    services: Services,
    order: OrderView,
) -> EventList:
    """Suggest items often bought with ``order``'s; say nothing without a strong pairing.

    Returns the ``shown_products`` slot events (empty, so falsy, when nothing was shown).
    """
    advisor = get_advisor(services)
    product_ids = [line.product_id for line in order.lines]
    suggestions = advisor.bought_together(customer_id_of(tracker), product_ids)
    if not suggestions:
        return []
    advice = Advice(tuple(suggestions), "bought_together")
    intro = messages.BOUGHT_TOGETHER_INTRO
    return show(dispatcher, services, advisor, tracker, advice, intro, order=order.number)


class ActionSuggestBoughtTogether(ShopAction):
    """Suggests items bought together with the order in the slots (silent when none fit)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_suggest_bought_together"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Look up the order the customer may see and suggest what goes with it."""
        _, order = order_in_slots(tracker, services)
        if order is None:
            return []
        return suggest_bought_together(dispatcher, tracker, services, order)
