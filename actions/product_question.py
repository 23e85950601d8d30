"""Answers follow-ups about the products the assistant just showed ("how much is the second").

The products come from the latest list shown in this session (the session history records
every list, the bought-together one ``action_order_status`` shows included) or, failing
that, from the ``shown_products`` slot the showing actions set. The facts come from the
store's current catalogue rows, so a price or stock level is never the recommender's
training snapshot. What the catalogue does not hold (material, size) is said plainly,
with the team offered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session, sessionmaker

from actions.base import EventList, ShopAction
from actions.messages import products as say
from actions.messages import tone
from actions.own_orders import listed_order_meant
from actions.product_followup import (
    Asked,
    Resolution,
    asked_about,
    asked_colour,
    materials_in,
    measures_in,
    resolve,
)
from actions.recommendations import (
    DISCUSSED_PRODUCT_SLOT,
    PRODUCT_ENTITY,
    SHOWN_PRODUCTS_SLOT,
    entity_values,
)
from actions.services import Services
from store.db import make_session_factory
from store.product_facts import ProductFact, colours_of_title, products_by_ids
from store.views import Outcome

logger = logging.getLogger(__name__)

ORDINAL_ENTITY = "ordinal"
COLOUR_ENTITY = "colour"
SUGGEST_BUTTON = {"title": say.SUGGEST_SOME, "payload": "/ask_recommendation"}
TEAM_BUTTON = {"title": say.ASK_THE_TEAM, "payload": tone.REQUEST_HUMAN_PAYLOAD}
# Her orders were just listed and the question names one: looked up as an order question.
ORDER_STATUS = "action_order_status"


def _ids(values: object) -> list[int]:
    if not isinstance(values, list | tuple):
        return []
    return [int(v) for v in values if isinstance(v, int | str) and str(v).isdigit()]


def shown_product_ids(tracker: Tracker, services: Services) -> list[int]:
    """The products of the latest list shown in this session, in the order shown."""
    session = services.repository.current_session(tracker.sender_id)
    for outcome in reversed(session.outcomes if session else ()):
        if outcome.kind == Outcome.RECOMMENDATIONS_SHOWN:
            items = _ids(outcome.detail.get("items"))
            if items:
                return items
    return _ids(tracker.get_slot(SHOWN_PRODUCTS_SLOT))


def discussed_index(tracker: Tracker, shown: Sequence[int]) -> int | None:
    """Position of the product the previous follow-up was about, if it is still shown."""
    value = tracker.get_slot(DISCUSSED_PRODUCT_SLOT)
    ids = _ids([value])
    if ids and ids[0] in shown:
        return list(shown).index(ids[0])
    return None


def answer_for(
    product: ProductFact,
    asked: Asked,
    colours: Sequence[str],
    colour_named: str | None,
    currency: str,
) -> tuple[str, bool]:
    """(sentence, answered): one question about one product, from its catalogue row."""
    title = product.title
    if asked is Asked.PRICE:
        return say.price(title, product.price, currency), True
    if asked is Asked.STOCK:
        return say.stock(title, product.stock), True
    if asked is Asked.COLOUR:
        if not colours:
            return say.colour_unknown(title, colour_named), False
        return say.colour(title, colours, colour_named), True
    if asked is Asked.MATERIAL:
        materials = materials_in(title, product.description)
        if not materials:
            return say.cannot_tell(title, "material"), False
        return say.material(title, materials), True
    if asked is Asked.SIZE:
        measures = measures_in(f"{title} {product.description}")
        if not measures:
            return say.cannot_tell(title, "size"), False
        return say.size(title, measures), True
    text = " ".join(
        [
            say.details(title, product.description),
            say.price(title, product.price, currency),
            say.stock(title, product.stock),
        ]
    )
    return text, True


def which_buttons(titles: Sequence[str]) -> list[dict]:
    """Quick replies naming each shown product (still in the catalogue) by its position."""
    return [
        {"title": title, "payload": f'/product_question{{"{ORDINAL_ENTITY}": "{i}"}}'}
        for i, title in enumerate(titles, start=1)
        if title
    ]


class ActionProductQuestion(ShopAction):
    """Answers price, stock, colour, material, size or "tell me more" about shown products."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_product_question"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Tie the question to a shown product and answer it from the catalogue."""
        shown = shown_product_ids(tracker, services)
        if not shown:
            order_number = listed_order_meant(tracker, services)
            if order_number is not None:  # her orders were listed: it is about that order
                return [SlotSet("order_number", order_number), FollowupAction(ORDER_STATUS)]
            dispatcher.utter_message(text=say.WHICH_PRODUCT, buttons=[SUGGEST_BUTTON])
            return []
        sessions = make_session_factory(services.engine)
        facts = {p.id: p for p in products_by_ids(sessions, shown)}
        titles = [facts[i].title if i in facts else "" for i in shown]
        text = str(tracker.latest_message.get("text") or "")
        resolution = resolve(
            text,
            titles,
            ordinals=entity_values(tracker, ORDINAL_ENTITY),
            product_words=entity_values(tracker, PRODUCT_ENTITY),
            discussed=discussed_index(tracker, shown),
        )
        if not resolution.indexes:
            return self._ask_which(dispatcher, resolution, titles)
        picked = [shown[i] for i in resolution.indexes]
        if not any(i in facts for i in picked):
            dispatcher.utter_message(text=say.NO_LONGER_LISTED, buttons=[SUGGEST_BUTTON])
            return []
        colour_values = entity_values(tracker, COLOUR_ENTITY)
        colour_named = asked_colour(text, colour_values)
        sentences: list[str] = []
        unanswered = False
        for product in (facts[i] for i in picked if i in facts):
            colours = self._colours(sessions, product)
            for asked in asked_about(text, colour_values):
                sentence, answered = answer_for(
                    product, asked, colours, colour_named, services.policy.currency
                )
                sentences.append(sentence)
                unanswered = unanswered or not answered
        dispatcher.utter_message(
            text="\n".join(sentences), buttons=[TEAM_BUTTON] if unanswered else []
        )
        if len(picked) == 1:
            return [SlotSet(DISCUSSED_PRODUCT_SLOT, picked[0])]
        return []

    @staticmethod
    def _colours(sessions: sessionmaker[Session], product: ProductFact) -> list[str]:
        colours = colours_of_title(sessions, product.title)
        if product.colour and product.colour not in colours:
            colours.insert(0, product.colour)
        return colours

    @staticmethod
    def _ask_which(
        dispatcher: CollectingDispatcher,
        resolution: Resolution,
        titles: list[str],
    ) -> EventList:
        if resolution.unmatched is not None:
            intro = say.gone_from_shown(resolution.unmatched, [t for t in titles if t])
            dispatcher.utter_message(
                text=f"{intro} {say.WHICH_OF_THEM}", buttons=which_buttons(titles)
            )
        else:
            dispatcher.utter_message(text=say.WHICH_OF_THEM, buttons=which_buttons(titles))
        return []
