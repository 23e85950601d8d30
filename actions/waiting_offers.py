"""A typed "yes" or "no" to an outreach offer that reached the chat outside the conversation.

Outreach can leave an offer waiting in the web chat (``promotions.outreach_web``: shown when
the signed-in customer next opens it, before their first message) or send it by Telegram
(``promotions.outreach_telegram``: straight through the Bot API). Either way Rasa's tracker
never holds it as the bot's reply. Its buttons answer it by payload; a typed answer reaches
``action_answer_yes_no``, which asks this module whether the offer it answers is that one:
shown or sent after the customer's previous message, and still unanswered.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rasa_sdk import Tracker

from actions.base import customer_id_of
from actions.services import Services
from promotions.outreach_web import shown_since


def previous_message_at(tracker: Tracker) -> datetime | None:
    """When the customer sent the message before the latest one (naive UTC), if ever."""
    users = [e for e in tracker.events or [] if e.get("event") == "user"]
    stamp = users[-2].get("timestamp") if len(users) > 1 else None
    if stamp is None:
        return None
    return datetime.fromtimestamp(float(stamp), UTC).replace(tzinfo=None)


def waiting_offer_just_shown(tracker: Tracker, services: Services) -> bool:
    """True when the customer's open offer reached them by outreach (web chat or Telegram)
    after their previous message, so this message is their first word since seeing it."""
    customer_id = customer_id_of(tracker)
    promotions = services.promotions
    if customer_id is None or not promotions.awaits_answer(customer_id):
        return False
    exposure_id = promotions.repo.open_offer(customer_id)
    if exposure_id is None:
        return False
    return shown_since(promotions.sessions, exposure_id, previous_message_at(tracker))
