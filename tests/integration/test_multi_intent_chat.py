"""Two requests in one message, against the real Rasa server and action server.

The order is answered first, as the customer asked it, and the policy question right after
it when the message held all the order form needs; when the form must ask first, the
policy question is answered before it asks.
"""

from __future__ import annotations

import pytest

from actions.messages import policy_answer
from actions.messages.multi_intent import answer_before_question, other_question_answer
from store.policy import load_policy
from tests.integration.conftest import Chat

pytestmark = pytest.mark.integration


def test_order_and_shipping_question_in_one_message_are_both_answered_order_first(
    anna_chat: Chat, shop, repo, stack
) -> None:
    order = repo.find_order_for(shop.anna_shipped.number, customer_id=shop.anna_id, email=None)
    replies = [
        r.get("text") or ""
        for r in anna_chat.say(f"hi, where is my order {order.number} and how much is shipping?")
    ]
    shipping = other_question_answer(
        policy_answer(load_policy(stack.settings.policy_file), "shipping_costs")
    )
    order_reply = next(i for i, text in enumerate(replies) if order.number in text)
    assert order.shipments[0].tracking_number in replies[order_reply]
    assert shipping in replies
    assert replies.index(shipping) > order_reply
    slots = anna_chat.tracker()["slots"]
    assert slots.get("faq_pending") is None


def test_guests_policy_question_is_answered_before_the_email_is_asked(
    guest_chat: Chat, shop, stack
) -> None:
    number = shop.guest_order.number
    shipping_times = answer_before_question(
        policy_answer(load_policy(stack.settings.policy_file), "shipping_times")
    )
    replies = [
        r.get("text") or ""
        for r in guest_chat.say(
            f"where's my order {number}? and how long does delivery usually take"
        )
    ]
    assert shipping_times in replies
    email_question = next(i for i, text in enumerate(replies) if "e-mail" in text.lower())
    assert replies.index(shipping_times) < email_question  # answered, then asked
    assert guest_chat.tracker()["slots"].get("faq_pending") is None
    replies = [r.get("text") or "" for r in guest_chat.say("guest.buyer@example.org")]
    assert any(number in text and "being packed" in text for text in replies)
    assert all(shipping_times not in text for text in replies)  # not answered twice
