"""Whole conversations over Rasa's real Telegram channel, against a stand-in Bot API.

The session's stack starts Rasa with the Telegram channel on (tests/conftest.py points it
at tests/support/telegram_api.py). These tests post the update JSON Telegram would post to
Rasa's webhook and read what the bot sent back to the stand-in. What this does not prove:
anything about Telegram's real servers (README "Telegram").
"""

from __future__ import annotations

import itertools
import json
import random
import urllib.error
import urllib.request
from typing import Any

import pytest
from sqlalchemy import update

from actions.messages import linking as linking_words
from actions.messages import policy_answer
from concierge.rasa_credentials import telegram_webhook_secret
from concierge.stack import Stack
from store.account_linking import AccountLinking, code_hash
from store.db import make_engine, make_session_factory
from store.link_codes import LinkCode
from store.policy import load_policy
from store.repository import ShopRepository
from tests.factories import add_customer, add_order
from tests.support.telegram_api import TelegramAPI, button_press, private_chat_message
from tests.support.tracker_store import tracker_state

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_update_ids = itertools.count(random.randrange(10**6, 10**7))


class TelegramUser:
    """One Telegram user writing to the bot: posts updates, reads the stand-in's record."""

    def __init__(self, stack: Stack, api: TelegramAPI) -> None:
        self.stack = stack
        self.api = api
        self.user_id = random.randrange(10**8, 10**9)
        self.sender_id = f"telegram-{self.user_id}"
        self.url = stack.settings.rasa_url + "/webhooks/telegram/webhook"

    def post(self, update: dict[str, Any], secret: str | None = None) -> tuple[int, str]:
        secret = telegram_webhook_secret(self.stack.settings) if secret is None else secret
        request = urllib.request.Request(
            self.url,
            data=json.dumps(update).encode(),
            headers={"Content-Type": "application/json", SECRET_HEADER: secret},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def say(self, text: str) -> list[dict[str, Any]]:
        """Send ``text``; the messages the bot sent in answer (sendMessage parameters)."""
        before = len(self.api.calls_of("sendMessage", self.user_id))
        status, _ = self.post(private_chat_message(next(_update_ids), self.user_id, text))
        assert status == 200
        return [c.params for c in self.api.calls_of("sendMessage", self.user_id)[before:]]

    def press(self, message: dict[str, Any], callback_data: str) -> list[dict[str, Any]]:
        """Press a button of ``message`` (as the stand-in recorded it)."""
        before = len(self.api.calls_of("sendMessage", self.user_id))
        shown = {
            "message_id": 1,
            "date": 0,
            "chat": {"id": self.user_id, "type": "private"},
            "text": message["text"],
            "reply_markup": message["reply_markup"],
        }
        update = button_press(next(_update_ids), self.user_id, callback_data, shown)
        status, _ = self.post(update)
        assert status == 200
        return [c.params for c in self.api.calls_of("sendMessage", self.user_id)[before:]]


def _text(messages: list[dict[str, Any]]) -> str:
    return "\n\n".join(str(m.get("text", "")) for m in messages)


def _buttons(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        button
        for m in messages
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    ]


@pytest.fixture
def user(stack: Stack, telegram_api: TelegramAPI) -> TelegramUser:
    return TelegramUser(stack, telegram_api)


def test_rasa_registers_its_webhook_with_the_secret_telegram_must_send(
    stack: Stack, telegram_api: TelegramAPI
) -> None:
    # Once per Rasa start (other tests of the session restart Rasa), each with the secret.
    calls = telegram_api.calls_of("setWebhook")
    assert calls
    for call in calls:
        assert call.params["url"] == stack.settings.telegram_webhook_url
        assert call.params["secret_token"] == telegram_webhook_secret(stack.settings)
    assert telegram_api.calls_of("getMe")


def test_a_guest_is_greeted_and_gets_a_policy_answer(
    user: TelegramUser, stack: Stack, repo: ShopRepository
) -> None:
    greeting = user.say("/start")
    assert greeting and all(m["chat_id"] == str(user.user_id) for m in greeting)
    assert _text(greeting).strip()

    policy = load_policy(stack.settings.policy_file)
    answer = user.say("how much does shipping cost?")
    assert policy_answer(policy, "shipping_costs").strip() in _text(answer)

    session = repo.current_session(user.sender_id)
    assert session is not None and session.channel == "telegram"
    assert session.customer_id is None  # a guest until the account is linked


def test_a_linked_customer_picks_her_order_with_an_inline_button(
    user: TelegramUser, stack: Stack, repo: ShopRepository
) -> None:
    # A customer of this test's own with two open orders, so the bot offers them as buttons
    # (the session's shared shop customers have orders other tests change).
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    customer = add_customer(sessions, email=f"tess.{user.user_id}@example.com", first_name="Tess")
    shipped = add_order(sessions, customer_id=customer, status="shipped")
    add_order(sessions, customer_id=customer, status="processing")
    repo.link_identity("telegram", user.sender_id, customer)
    order = repo.find_order_for(shipped.number, customer_id=customer, email=None)
    assert order is not None

    shown = user.say("has my parcel shipped")
    buttons = _buttons(shown)
    assert any(order.number in b["text"] or order.number in b["callback_data"] for b in buttons)
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    with_keyboard = next(m for m in shown if m.get("reply_markup"))
    chosen = next(
        b for b in buttons if order.number in b["callback_data"] or order.number in b["text"]
    )

    answer = user.press(with_keyboard, chosen["callback_data"])

    assert order.shipments[0].tracking_number in _text(answer)
    answered = user.api.calls_of("answerCallbackQuery")
    assert any(c.params["callback_query_id"].startswith("cq-") for c in answered)
    session = repo.current_session(user.sender_id)
    assert session is not None and session.customer_id == customer


def test_an_update_without_the_secret_is_refused_and_reaches_no_conversation(
    user: TelegramUser, stack: Stack
) -> None:
    update = private_chat_message(next(_update_ids), user.user_id, "where is my order?")
    for forged in ("", "guessed-secret", telegram_webhook_secret(stack.settings)[:-1]):
        status, _ = user.post(update, secret=forged)
        assert status == 403
    assert user.api.calls_of("sendMessage", user.user_id) == []
    assert not tracker_state(stack.settings.tracker_db_url, user.sender_id).get("events")


# Account linking (issue 18): the customer gets a one-time code from the shop (what the demo
# shop's page and `python -m store link-code` issue) and sends it through the deep link.


def _customer_with_a_shipped_order(stack: Stack, user: TelegramUser) -> tuple[int, str, str]:
    """(customer id, order number, tracking number) of a customer made for this test."""
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    customer = add_customer(sessions, email=f"lina.{user.user_id}@example.com", first_name="Lina")
    made = add_order(sessions, customer_id=customer, status="shipped")
    repo = ShopRepository(sessions)
    order = repo.find_order_for(made.number, customer_id=customer, email=None)
    assert order is not None and order.shipments
    return customer, made.number, order.shipments[0].tracking_number


def _linking(stack: Stack) -> AccountLinking:
    return AccountLinking(make_session_factory(make_engine(stack.settings.db_url)))


def test_a_customer_links_with_the_deep_link_code_and_gets_her_order(
    user: TelegramUser, stack: Stack, repo: ShopRepository
) -> None:
    customer, number, tracking = _customer_with_a_shipped_order(stack, user)
    code = _linking(stack).issue_code(customer).code

    connected = _text(user.say(f"/start {code}"))

    assert "You're connected, Lina" in connected
    linked = repo.customer_for_sender(user.sender_id, "telegram")
    assert linked is not None and linked.id == customer
    # Her order without an e-mail check: the chat is hers now.
    answer = _text(user.say(f"where is order {number}?"))
    assert tracking in answer
    session = repo.current_session(user.sender_id)
    assert session is not None and session.customer_id == customer


def test_an_unlinked_telegram_user_is_a_guest_asked_to_prove_the_order(
    user: TelegramUser, stack: Stack, repo: ShopRepository
) -> None:
    _, number, tracking = _customer_with_a_shipped_order(stack, user)

    answer = _text(user.say(f"where is order {number}?"))

    assert tracking not in answer
    assert "e-mail" in answer
    assert repo.customer_for_sender(user.sender_id, "telegram") is None


def test_a_reused_code_is_refused_and_links_nobody(
    user: TelegramUser, stack: Stack, repo: ShopRepository, telegram_api: TelegramAPI
) -> None:
    customer, number, tracking = _customer_with_a_shipped_order(stack, user)
    code = _linking(stack).issue_code(customer).code
    assert "You're connected" in _text(user.say(f"/link {code}"))
    other = TelegramUser(stack, telegram_api)

    refused = _text(other.say(f"/start {code}"))

    assert "already been used" in refused
    assert repo.customer_for_sender(other.sender_id, "telegram") is None
    assert tracking not in _text(other.say(f"where is order {number}?"))


def test_an_expired_code_is_refused(user: TelegramUser, stack: Stack, repo: ShopRepository) -> None:
    customer, _, _ = _customer_with_a_shipped_order(stack, user)
    code = _linking(stack).issue_code(customer).code
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    with sessions.begin() as s:
        s.execute(
            update(LinkCode)
            .where(LinkCode.code_sha256 == code_hash(code))
            .values(expires_at=LinkCode.created_at)
        )

    refused = _text(user.say(f"/start {code}"))

    assert "expired" in refused
    assert repo.customer_for_sender(user.sender_id, "telegram") is None


def test_unlinking_makes_the_chat_a_guests_again(
    user: TelegramUser, stack: Stack, repo: ShopRepository
) -> None:
    customer, number, tracking = _customer_with_a_shipped_order(stack, user)
    user.say(f"/start {_linking(stack).issue_code(customer).code}")

    assert _text(user.say("/unlink")) == linking_words.UNLINKED

    assert repo.customer_for_sender(user.sender_id, "telegram") is None
    assert tracking not in _text(user.say(f"where is order {number}?"))


def test_a_plain_start_still_greets(user: TelegramUser) -> None:
    greeting = _text(user.say("/start"))
    assert greeting.strip() and "connected" not in greeting
