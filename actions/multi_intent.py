"""Two questions in one message: the policy question answered after the other task.

Rasa splits a message such as "where is my order 18992 and how much is shipping?" into
the multi-intent ``order_status+faq`` (config.yml: ``intent_split_symbol: "+"``). The
customer asked about the order first, so the order form runs first; the ``faq_pending``
slot (set by its ``from_intent`` mapping, bot/domain/multi_intent.yml) lets the rules
answer the policy question right after the order, return or cancellation is dealt with:
in the same turn when the message held all the form needed, otherwise once the form's
questions are answered. The topic is read from the ResponseSelector's choice on the
message that asked it, which is in the tracker's events, so no slot has to carry it.

Recipe, a new "X+faq" combination whose X starts a form: add the intent to
bot/domain/multi_intent.yml (intents and the ``faq_pending`` mapping), examples to
nlu_data/multi_intent.yml, and the two rules in bot/data/rules/multi_intent.yml.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, current_session_events
from actions.faq import RETRIEVAL_INTENT, selected_topic
from actions.messages.multi_intent import other_question_answer
from actions.services import Services
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
        done = [SlotSet(PENDING_SLOT, None)]
        asked = pending_question(current_session_events(tracker))
        topic = selected_topic(asked) if asked is not None else None
        if topic is None:
            # Nothing to answer (abandoned, or no topic chosen): say nothing rather than
            # an out-of-context "please rephrase" after the order's answer.
            return done
        try:
            answer = messages.policy_answer(services.policy, topic)
        except messages.UnknownTopic:
            logger.error("No policy answer for FAQ topic %r", topic)
            return done
        dispatcher.utter_message(text=other_question_answer(answer))
        services.repository.record_outcome(tracker.sender_id, Outcome.FAQ_ANSWERED, ref=topic)
        return done
