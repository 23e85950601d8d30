"""Every sentence the assistant composes, in one package; actions pass values, never words.

Where words live:

- fixed replies with no values (``utter_greet``, ``utter_ask_order_email``, ...) are
  responses in ``bot/domain/*.yml``; an action says them with
  ``dispatcher.utter_message(response="utter_...")``;
- sentences assembled from data are here, by topic: ``orders``, ``returns``,
  ``refusals`` (the store's ``Refusal`` codes), ``policy_answers`` (the FAQ),
  ``conversation`` (greetings, handoff, offers, recommendations, outages);
- money and lists are formatted by ``concierge.formatting`` (one rule everywhere);
- a campaign's offer text is the marketer's template in ``promotions/campaigns/*.yml``.

Recipe, a new sentence: add a function (or a constant, for fixed text) to the module of
its topic, re-export it below, and call ``messages.<name>(...)`` from the action; its test
goes in ``tests/actions/test_messages.py``.
"""

from __future__ import annotations

from actions.messages.conversation import (
    BOUGHT_TOGETHER_INTRO,
    CANT_RECOMMEND,
    CONFIRM_ACCEPT,
    GUEST_NO_OFFER,
    GUEST_NOTHING_TO_STOP,
    HOW_CAN_I_HELP,
    NOT_AN_EMAIL,
    OFFER_REPLIES,
    RECOMMEND_INTRO_LIKED,
    RECOMMEND_INTRO_PERSONAL,
    RECOMMEND_INTRO_POPULAR,
    SEARCH_DOWN_INTRO,
    SEARCH_INTRO,
    SHOW_POPULAR,
    STORE_UNREACHABLE,
    YES_TO_NOTHING,
    goodbye,
    greeting,
    handoff_requested,
    more_like,
    nothing_found,
    offer_reply,
    suggestion_line,
    welcome_back,
)
from actions.messages.orders import (
    ASK_CANCEL_YES_NO,
    cancel_kept,
    expected_dispatch,
    format_day,
    items_text,
    matter_update,
    not_an_order_number,
    numbered_items,
    order_cancelled,
    order_not_found,
    order_status,
)
from actions.messages.policy_answers import TOPICS, UnknownTopic, policy_answer
from actions.messages.refusals import refusal_text, short_day
from actions.messages.returns import (
    ASK_RETURN_NUMBER,
    NO_RETURNS_YET,
    REASON_MISSING,
    item_not_found,
    not_a_return_number,
    return_created,
    return_not_found,
    return_status,
    which_item,
)
from concierge.formatting import join_words, money

__all__ = [
    "ASK_CANCEL_YES_NO",
    "ASK_RETURN_NUMBER",
    "BOUGHT_TOGETHER_INTRO",
    "CANT_RECOMMEND",
    "CONFIRM_ACCEPT",
    "GUEST_NOTHING_TO_STOP",
    "GUEST_NO_OFFER",
    "HOW_CAN_I_HELP",
    "NOT_AN_EMAIL",
    "NO_RETURNS_YET",
    "OFFER_REPLIES",
    "REASON_MISSING",
    "RECOMMEND_INTRO_LIKED",
    "RECOMMEND_INTRO_PERSONAL",
    "RECOMMEND_INTRO_POPULAR",
    "SEARCH_DOWN_INTRO",
    "SEARCH_INTRO",
    "SHOW_POPULAR",
    "STORE_UNREACHABLE",
    "TOPICS",
    "YES_TO_NOTHING",
    "UnknownTopic",
    "cancel_kept",
    "expected_dispatch",
    "format_day",
    "goodbye",
    "greeting",
    "handoff_requested",
    "item_not_found",
    "items_text",
    "join_words",
    "matter_update",
    "money",
    "more_like",
    "not_a_return_number",
    "not_an_order_number",
    "nothing_found",
    "numbered_items",
    "offer_reply",
    "order_cancelled",
    "order_not_found",
    "order_status",
    "policy_answer",
    "refusal_text",
    "return_created",
    "return_not_found",
    "return_status",
    "short_day",
    "suggestion_line",
    "welcome_back",
    "which_item",
]
