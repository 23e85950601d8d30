"""Connecting a Telegram chat to a shop account with a one-time code, and disconnecting it.

The Telegram channel turns "/start CODE" and "/link CODE" into the ``link_account`` intent
with a ``link_code`` entity, and "/unlink" into ``unlink_account``. The code is redeemed
in the store (``store.account_linking``: single-use, 15 minutes, wrong codes limited per
Telegram user); once linked, the customer slots are set exactly as the session start
sets them for a known customer, so the rest of the conversation is the customer's.

A Telegram guest who asks to connect without a code is offered a code by e-mail instead
(``link_by_email``; the form and the sending are in ``actions.link_code_mail``).
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, ShopAction, customer_id_of
from actions.messages import linking as words
from actions.services import Services
from actions.session import ActionSessionStart, channel_of
from store.account_linking import AccountLinking, LinkOutcome
from store.db import make_session_factory
from store.views import CustomerView

logger = logging.getLogger(__name__)

LINK_CODE = "link_code"
# True while a Telegram guest is asked for the account's e-mail address (a rule starts
# link_email_form on it; actions.link_code_mail empties it again).
LINK_BY_EMAIL = "link_by_email"
# The only channel whose users prove who they are with a code; the web chat's customer
# is the one the shop's server signed for.
LINKED_CHANNEL = "telegram"


def code_of(tracker: Tracker) -> str | None:
    """The link code of the latest message (its entity, else the slot), if any."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == LINK_CODE and str(entity.get("value") or "").strip():
            return str(entity["value"]).strip()
    value = tracker.get_slot(LINK_CODE)
    return str(value).strip() if value not in (None, "") else None


def account_linking(services: Services) -> AccountLinking:
    """Link codes on the action server's database."""
    return AccountLinking(make_session_factory(services.engine))


def identity_slots(tracker: Tracker, customer: CustomerView | None) -> EventList:
    """The customer slots for ``customer`` (None: a guest), as the session start sets them."""
    return ActionSessionStart._identity_slots(tracker, customer)


class ActionLinkAccount(ShopAction):
    """Redeems a link code: the Telegram chat becomes the customer's."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_link_account"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Redeem the code, or offer a Telegram guest a code by e-mail, or say where to get one."""
        # True leads the rules to ask for an e-mail address; otherwise it must be unset
        # (not false), as the rule that just answers requires (bot/data/rules/linking.yml).
        offer_off: EventList = (
            [SlotSet(LINK_BY_EMAIL, None)] if tracker.get_slot(LINK_BY_EMAIL) else []
        )
        code = code_of(tracker)
        if code is None and offers_code_by_email(tracker):
            # The form's question (action_ask_link_email) offers both ways.
            return [SlotSet(LINK_BY_EMAIL, True), SlotSet(LINK_CODE, None)]
        if code is None:
            dispatcher.utter_message(text=words.LINK_HOW)
            return [*offer_off, SlotSet(LINK_CODE, None)]
        return [*offer_off, *redeem_code(dispatcher, tracker, services, code)]


def offers_code_by_email(tracker: Tracker) -> bool:
    """Whether a code may be e-mailed: only to a Telegram guest (the web chat is signed in)."""
    return channel_of(tracker) == LINKED_CHANNEL and customer_id_of(tracker) is None


def redeem_code(
    dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, code: str
) -> EventList:
    """Redeem ``code`` for this sender and say how it went; the code slot is emptied."""
    forget_code: EventList = [SlotSet(LINK_CODE, None)]
    if channel_of(tracker) != LINKED_CHANNEL:
        dispatcher.utter_message(text=words.LINK_ONLY_IN_TELEGRAM)
        return forget_code
    result = account_linking(services).redeem(code, LINKED_CHANNEL, tracker.sender_id)
    logger.info("Link code for %s: %s", tracker.sender_id, result.outcome.value)
    if result.outcome is not LinkOutcome.LINKED or result.customer is None:
        dispatcher.utter_message(text=words.link_refused(result.outcome))
        return forget_code
    dispatcher.utter_message(text=words.linked(result.customer.display_name))
    return [*identity_slots(tracker, result.customer), *forget_code]


class ActionUnlinkAccount(ShopAction):
    """Disconnects the Telegram chat from the customer: it is a guest's chat again."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_unlink_account"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Remove this sender's Telegram link and empty the customer slots."""
        if channel_of(tracker) != LINKED_CHANNEL:
            dispatcher.utter_message(text=words.UNLINK_ONLY_IN_TELEGRAM)
            return []
        if not account_linking(services).unlink(LINKED_CHANNEL, tracker.sender_id):
            dispatcher.utter_message(text=words.NOTHING_TO_UNLINK)
            return identity_slots(tracker, None)
        logger.info("Unlinked %s", tracker.sender_id)
        dispatcher.utter_message(text=words.UNLINKED)
        return identity_slots(tracker, None)
