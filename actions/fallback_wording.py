"""The two-stage fallback's "Did you mean ...?" in the customer's words.

Rasa 3.6 runs a custom action named ``action_default_ask_affirmation`` in place of its own,
which shows the raw intent name ("Did you mean 'ask_capabilities'?"). This one offers the
best guesses as buttons labelled from :mod:`actions.intent_labels`, and "Something else",
which sends ``/out_of_scope``: Rasa's two-stage fallback then asks the customer to rephrase.

Right after a search, a message that only changes its colour or price ("sorry, I meant
green ones") is not asked about: it is read as the search it is and the search runs
(``actions.search_refinement``). The same holds when the NLU was sure such a message was out
of scope ("sorry, I meant white ones", 0.71): ``action_out_of_scope`` declines everything else.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.intent_guesses import guesses
from actions.intent_labels import MULTI_INTENT_SPLIT, label_for
from actions.messages import tone
from actions.search_refinement import (
    Parser,
    names_a_product,
    refined_query,
    reissued_as_search,
    searched_last_turn,
)
from actions.services import get_advisor, get_services

logger = logging.getLogger(__name__)

EventList = list[dict[str, Any]]

RETRIEVAL_INTENTS = ("faq", "chitchat")


def topic_of(intent: str, parse_data: dict[str, Any]) -> str:
    """``intent`` with the ResponseSelector's topic for a retrieval intent (``faq/warranty``)."""
    selectors = parse_data.get("response_selector") or {}
    parts = []
    for part in intent.split(MULTI_INTENT_SPLIT):
        if part in RETRIEVAL_INTENTS:
            for name in (part, "default"):
                key = ((selectors.get(name) or {}).get("response") or {}).get("intent_response_key")
                if key and key.startswith(f"{part}/"):
                    part = key
                    break
        parts.append(part)
    return MULTI_INTENT_SPLIT.join(parts)


def payload_for(intent: str) -> str:
    """The button payload that affirms ``intent``.

    A "/intent" payload skips the ResponseSelector, so ``/faq`` would reach the FAQ action
    with no topic: a retrieval topic sends its label as text instead ("Ask about shipping
    costs"), which the NLU reads as that topic.
    """
    if "/" in intent:
        return label_for(intent)
    return "/" + intent


def _search_parser() -> Parser | None:
    advisor = get_advisor(get_services())
    return advisor.models.search.parse if advisor.models.search is not None else None


async def refinement_events(tracker: Tracker) -> EventList:
    """The events that run a refinement of the last search as that search (else none)."""
    previous = searched_last_turn(tracker)
    if previous is None:
        return []
    try:
        parse = await asyncio.to_thread(_search_parser)
    except Exception:  # the models or store are down: ask as usual
        logger.exception("The search could not be loaded to read a refinement")
        return []
    message = str(tracker.latest_message.get("text") or "")
    if parse is None or refined_query(previous, message, parse, names_a_product(tracker)) is None:
        return []
    return reissued_as_search(tracker)


class SearchRefinedFirst(Action, ABC):
    """An answer to a message the NLU did not place, unless it refines the last search."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """Run the refined search, or give this action's answer."""
        refinement = await refinement_events(tracker)
        if refinement:
            return refinement
        self.answer(dispatcher, tracker)
        return []

    @abstractmethod
    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Say what this action says when the message is no refinement."""


class ActionDefaultAskAffirmation(SearchRefinedFirst):
    """Asks "Did you mean: Track an order?" with the customer's words on the buttons."""

    def name(self) -> str:
        """Rasa's name for the action, so the two-stage fallback runs this one."""
        return "action_default_ask_affirmation"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Offer the best guesses in plain words, and "Something else"."""
        parse_data = tracker.latest_message or {}
        offered = [topic_of(intent, parse_data) for intent in guesses(parse_data)]
        buttons = [{"title": label_for(i), "payload": payload_for(i)} for i in offered]
        buttons.append({"title": tone.SOMETHING_ELSE, "payload": tone.SOMETHING_ELSE_PAYLOAD})
        if len(offered) == 1:
            dispatcher.utter_message(text=tone.did_you_mean(label_for(offered[0])), buttons=buttons)
        elif offered:
            dispatcher.utter_message(text=tone.did_you_mean_one_of(), buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")


class ActionOutOfScope(SearchRefinedFirst):
    """Declines a request the shop's assistant can't serve, unless it refines a search."""

    def name(self) -> str:
        """The action the rules run for ``out_of_scope`` outside a form."""
        return "action_out_of_scope"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Say it can't help with that, and what it can do."""
        dispatcher.utter_message(response="utter_out_of_scope")
        dispatcher.utter_message(response="utter_capabilities")
