"""Handoff of a Telegram conversation on the session's real stack (Rasa, actions, console).

A Telegram user (updates posted to Rasa's real Telegram channel) asks for a person; an
agent signed in to the real console takes the conversation, reads what the customer writes
while the bot stays quiet, answers, and hands back. Telegram itself is the local stand-in
of the Bot API (tests/support/telegram_api.py), which records what the bot and the console
send; Telegram's real servers are not involved (README "Telegram").
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from concierge.stack import Stack
from console.chat.wording import BACK_TO_BOT_TEXT
from console.handoff.desk import HandoffDesk
from console.staff.accounts import StaffDirectory
from store.db import make_engine, make_session_factory
from tests.integration.test_telegram_channel import TelegramUser
from tests.support.telegram_api import TelegramAPI

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


class Agent:
    """A staff member using the stack's console over HTTP, with a cookie jar like a browser."""

    def __init__(self, stack: Stack, email: str) -> None:
        self.base = stack.settings.console_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""
        self.sign_in(email)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            page = response.read().decode()
        found = _CSRF.search(page)
        self.csrf = found.group(1) if found else self.csrf
        return page

    def post_form(self, path: str, **fields: str) -> str:
        data = urllib.parse.urlencode({"csrf_token": self.csrf, **fields}).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as response:
            return response.read().decode()

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf},
            method="POST",
        )
        with self.opener.open(request, timeout=60) as response:
            answer = json.loads(response.read())
        assert isinstance(answer, dict)
        return answer

    def sign_in(self, email: str) -> None:
        self.get("/staff/sign-in")
        page = self.post_form("/staff/sign-in", email=email, password=PASSWORD, next="/staff")
        assert "staff-identity" in page, "the agent could not sign in"
        self.get("/staff/handoffs")


@pytest.fixture
def shop_sessions(stack: Stack) -> Iterator[sessionmaker[Session]]:
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    yield sessions
    sessions.kw["bind"].dispose()


@pytest.fixture
def desk(shop_sessions: sessionmaker[Session]) -> HandoffDesk:
    return HandoffDesk(shop_sessions)


@pytest.fixture
def agent(stack: Stack, shop_sessions: sessionmaker[Session]) -> Agent:
    email = "tess@shop.example"
    directory = StaffDirectory(shop_sessions)
    if directory.account_id_for(email) is None:
        directory.create_account(email, PASSWORD, ["agent"], display_name="Tess", actor="tests")
    return Agent(stack, email)


def test_agent_and_telegram_customer_hear_each_other_while_the_bot_stays_quiet(
    stack: Stack, telegram_api: TelegramAPI, desk: HandoffDesk, agent: Agent
) -> None:
    user = TelegramUser(stack, telegram_api)
    user.say("/start")
    assert user.say("I want to talk to a real person")
    (handoff,) = [h for h in desk.queue() if h.sender_id == user.sender_id]

    agent.post_form(f"/staff/handoffs/{handoff.id}/take")
    assert telegram_api.sent_texts(user.user_id)[-1] == (
        "Tess from customer service has joined the chat."
    )

    assert user.say("my parcel never arrived") == []  # the bot stays quiet
    said = [(m.author, m.text) for m in desk.messages(handoff.id)]
    assert said[-1] == ("customer", "my parcel never arrived")

    sent = agent.post_json(
        f"/staff/handoffs/{handoff.id}/messages", {"text": "I'm sorry! Let me check."}
    )
    assert sent["delivered"] is True
    assert telegram_api.sent_texts(user.user_id)[-1] == "I'm sorry! Let me check."

    agent.post_form(f"/staff/handoffs/{handoff.id}/hand-back")
    assert telegram_api.sent_texts(user.user_id)[-1] == BACK_TO_BOT_TEXT
    assert user.say("hello")  # the bot answers again
