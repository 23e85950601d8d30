"""A Telegram guest gets a link code by e-mail, over Rasa's real Telegram channel (issue 18).

The session's stack (tests/conftest.py) with the Bot API stand-in; the action server sends
to the relay its settings name (SMTP_HOST/SMTP_PORT, 127.0.0.1:1025 unless set), where this
module runs a real aiosmtpd server. The whole conversation: "link my account", the
address, the e-mail, "/link CODE" from it, and the customer's order afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from actions.messages import linking as linking_words
from concierge.stack import Stack
from store.account_linking import CODE_ALPHABET, CODE_LENGTH
from store.repository import ShopRepository
from tests.integration.test_telegram_channel import (
    TelegramUser,
    _customer_with_a_shipped_order,
    _text,
)
from tests.support.smtp import SmtpRecorder
from tests.support.telegram_api import TelegramAPI

CODE_IN_TEXT = re.compile(rf"/link ([{CODE_ALPHABET}]{{{CODE_LENGTH}}})")


@pytest.fixture
def relay(stack: Stack) -> Iterator[SmtpRecorder]:
    """A real SMTP server where the stack's action server sends (its settings' relay)."""
    recorder = SmtpRecorder(port=stack.settings.smtp_port)
    controller = Controller(recorder, hostname=stack.settings.smtp_host, port=recorder.port)
    try:
        controller.start()
    except OSError as error:
        pytest.fail(
            f"SMTP port {recorder.port} is taken ({error}); set SMTP_PORT to a free port "
            "for the test session"
        )
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def user(stack: Stack, telegram_api: TelegramAPI) -> TelegramUser:
    return TelegramUser(stack, telegram_api)


def test_a_guest_gets_a_code_by_email_links_and_sees_her_order(
    user: TelegramUser, stack: Stack, repo: ShopRepository, relay: SmtpRecorder
) -> None:
    customer, number, tracking = _customer_with_a_shipped_order(stack, user)
    address = f"lina.{user.user_id}@example.com"  # the helper's customer

    offer = _text(user.say("link my account"))
    assert linking_words.LINK_BY_PAGE_OR_EMAIL in offer

    answer = _text(user.say(address))
    assert linking_words.CODE_MAIL_ON_ITS_WAY in answer
    [mail] = relay.to(address)
    match = CODE_IN_TEXT.search(mail.get_content())
    assert match is not None, mail.get_content()
    assert repo.customer_for_sender(user.sender_id, "telegram") is None  # not before the code

    assert "You're connected, Lina" in _text(user.say(f"/link {match.group(1)}"))
    linked = repo.customer_for_sender(user.sender_id, "telegram")
    assert linked is not None and linked.id == customer
    # Her order without an e-mail check: the chat is hers now.
    assert tracking in _text(user.say(f"where is order {number}?"))


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    user: TelegramUser, relay: SmtpRecorder
) -> None:
    user.say("link my account")
    address = f"nobody.{user.user_id}@example.com"
    assert linking_words.CODE_MAIL_ON_ITS_WAY in _text(user.say(address))
    assert relay.to(address) == []


def test_a_malformed_address_gets_a_clear_word_and_the_chat_goes_on(
    user: TelegramUser, relay: SmtpRecorder
) -> None:
    user.say("link my account")
    assert linking_words.NOT_AN_ACCOUNT_EMAIL in _text(user.say("mia at example dot com"))
    assert relay.messages == []
    # The form is over: the next question is answered as usual.
    assert linking_words.NOT_AN_ACCOUNT_EMAIL not in _text(user.say("how much is shipping?"))
