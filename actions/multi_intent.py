"""Two questions in one message: both answered, the task first when it can be.

Rasa splits a message such as "where is my order 18992 and how much is shipping?" into
the multi-intent ``order_status+faq`` (config.yml: ``intent_split_symbol: "+"``). The
customer asked about the order first, so the order form runs first; the ``faq_pending``
slot (set by its ``from_intent`` mapping, bot/domain/multi_intent.yml) keeps the policy
question. When the message held all the form needs, the rules answer the question right
after the order, return or cancellation. When the form must ask something first (a
guest's e-mail, "are you sure?"), its validator answers the question before asking
(``answer_while_form_waits``): the shop has that answer now, and a customer who then
leaves the form would never get it. The topic is read from the ResponseSelector's choice
on the message that asked it, which is in the tracker's events, so no slot carries it.

Recipe, a new "X+faq" combination whose X starts a form: add the intent to
bot/domain/multi_intent.yml (intents and the ``faq_pending`` mapping), examples to
nlu_data/multi_intent.yml, and the two rules in bot/data/rules/multi_intent.yml.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, current_session_events
from actions.faq import RETRIEVAL_INTENT, selected_topic
from actions.form_turns import form_stopped
from actions.messages.multi_intent import answer_before_question, other_question_answer
from actions.services import STORE_UNAVAILABLE, Services, get_services
from store.views import Outcome

logger = logging.getLogger(__name__)

SPLIT_SYMBOL = "+"  # config.yml, SpacyTokenizer intent_split_symbol
PENDING_SLOT = "faq_pending"
# Leaving a form this way drops the task; the question kept for after it is dropped too,
# because answering it later, after something unrelated, would come out of nowhere.
ABANDONED_BY = "action_deactivate_loop"


def intent_parts(intent: str | None) -> list[str]:
    """The single intents a multi-intent is made of ("order_status+faq" -> two parts)."""
    return intent.split(SPLIT_SYMBOL) if intent else []


def pending_question(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Parse data of the latest message whose policy question still waits for an answer.

    That is the latest user message with a multi-intent that has a ``faq`` part, unless the
    customer later left the task it came with (a form ended by ``action_deactivate_loop`` in
    answer to a later message, e.g. "stop"). A form left in the same turn does not count:
    that is the switch from another task's form to the one the message asked for.
    """
    left_in_this_turn = abandoned = False
    for event in reversed(events):
        if event.get("event") == "action" and event.get("name") == ABANDONED_BY:
            left_in_this_turn = True
            continue
        if event.get("event") != "user":
            continue
        parse_data = event.get("parse_data") or {}
        parts = intent_parts((parse_data.get("intent") or {}).get("name"))
        if len(parts) > 1 and RETRIEVAL_INTENT in parts:
            return None if abandoned else parse_data
        abandoned = abandoned or left_in_this_turn
        left_in_this_turn = False
    return None


class ActionAnswerPendingFaq(ShopAction):
    """Answers the policy question a customer asked together with an order task."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer_pending_faq"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Answer the kept question from the shop policy, then clear ``faq_pending``."""
        return answer_pending(dispatcher, tracker, services, other_question_answer)


def answer_pending(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    services: Services,
    wording: Callable[[str], str],
) -> EventList:
    """Answer the kept question in ``wording`` and clear ``faq_pending``.

    With nothing to answer (abandoned, or no topic chosen) it says nothing rather than an
    out-of-context "please rephrase" after the task's answer.
    """
    done = [SlotSet(PENDING_SLOT, None)]
    asked = pending_question(current_session_events(tracker))
    topic = selected_topic(asked) if asked is not None else None
    if topic is None:
        return done
    try:
        answer = messages.policy_answer(services.policy, topic)
    except messages.UnknownTopic:
        logger.error("No policy answer for FAQ topic %r", topic)
        return done
    dispatcher.utter_message(text=wording(answer))
    services.repository.record_outcome(tracker.sender_id, Outcome.FAQ_ANSWERED, ref=topic)
    return done


def form_waits(tracker: Tracker, required: list[str], events: EventList) -> bool:
    """Whether the form, after its validator's ``events``, still asks the customer something.

    ``tracker.slots`` already holds the validated values (rasa_sdk adds them); a validator
    that stopped the form sets ``requested_slot`` to None.
    """
    return not form_stopped(events) and any(tracker.slots.get(slot) is None for slot in required)


async def answer_while_form_waits(
    dispatcher: CollectingDispatcher, tracker: Tracker, required: list[str], events: EventList
) -> EventList:
    """Answer the policy question asked with the task now, if the form has to ask first.

    Holding it until the form is done made the customer wait through the order check (or
    a cancellation's "are you sure?") for an answer the shop had at once, and lost it if she
    left the form. When the message held everything the form needs, the task is answered
    first and the rules answer the question after it, in the order she asked.
    """
    if not tracker.get_slot(PENDING_SLOT) or not form_waits(tracker, required, events):
        return []
    try:
        return await asyncio.to_thread(
            lambda: answer_pending(dispatcher, tracker, get_services(), answer_before_question)
        )
    except STORE_UNAVAILABLE:
        return []  # still pending: the rules answer it once the form is done
