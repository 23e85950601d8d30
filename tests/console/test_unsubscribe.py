"""One-click unsubscribe over real HTTP: the link an outreach e-mail carries stops the next run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from promotions.outreach_links import UnsubscribeSigner
from store.models import Customer
from tests.console.conftest import COOKIE_SECRET
from tests.factories import add_customer
from tests.promotions.conftest import FakeClock
from tests.support.outreach import CONSOLE_SECRET, make_runner, proactive_campaign, save_campaign
from tests.support.smtp import SmtpRecorder, smtp_server

NOON = datetime(2025, 6, 30, 12, 0)


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    with smtp_server() as recorder:
        yield recorder


@pytest.fixture
async def console(aiohttp_client: Any, settings: Settings) -> TestClient:
    """The console with the secret the outreach run signs its links with."""
    app = create_app(replace(settings, console_secret=CONSOLE_SECRET), cookie_secret=COOKIE_SECRET)
    return await aiohttp_client(app)


def _email_opt_in(sessions: sessionmaker[Session], customer_id: int) -> bool:
    with sessions() as s:
        customer = s.get(Customer, customer_id)
        assert customer is not None
        return customer.email_opt_in


def _reachable(sessions: sessionmaker[Session], email: str) -> int:
    return add_customer(sessions, email=email, marketing_consent=True, email_opt_in=True)


async def test_one_click_unsubscribe_from_the_email_stops_the_next_run(
    console: TestClient, sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = _reachable(sessions, "anna@example.com")
    _reachable(sessions, "bob@example.com")
    save_campaign(sessions, proactive_campaign())
    clock = FakeClock(NOON)
    public_url = str(console.make_url("")).rstrip("/")
    runner = make_runner(sessions, smtp.port, clock, public_url=public_url)
    await runner.run()
    [to_anna] = smtp.to("anna@example.com")
    link = to_anna["List-Unsubscribe"].strip("<>")
    assert link.startswith(public_url + "/unsubscribe/")

    # What a mail client does for RFC 8058: POST the link, no cookies, no page first.
    async with (
        aiohttp.ClientSession() as mail_client,
        mail_client.post(
            link,
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response,
    ):
        assert response.status == 200
        assert "You're unsubscribed" in await response.text()
    assert _email_opt_in(sessions, anna) is False

    clock.advance(days=1)  # the campaign allows another message a day later
    await runner.run()
    assert len(smtp.to("anna@example.com")) == 1  # nothing more for Anna
    assert len(smtp.to("bob@example.com")) == 2  # Bob, who stayed, gets the next one


async def test_the_link_opened_in_a_browser_asks_first_and_changes_nothing_until_pressed(
    console: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = _reachable(sessions, "anna@example.com")
    path = "/unsubscribe/" + UnsubscribeSigner(CONSOLE_SECRET).token(anna, "winback")

    page = await console.get(path)
    body = await page.text()
    assert page.status == 200
    assert f'<form method="post" action="{path}">' in body
    assert 'data-testid="unsubscribe-button"' in body
    assert _email_opt_in(sessions, anna) is True

    pressed = await console.post(path)  # the page's button: an empty form post
    assert pressed.status == 200 and _email_opt_in(sessions, anna) is False


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_forged_or_altered_token_is_refused_and_changes_nothing(
    console: TestClient, sessions: sessionmaker[Session], method: str
) -> None:
    anna = _reachable(sessions, "anna@example.com")
    bob = _reachable(sessions, "bob@example.com")
    genuine = UnsubscribeSigner(CONSOLE_SECRET).token(anna, "winback")
    other_customer = f"{bob}." + genuine.split(".", 1)[1]  # Anna's signature, Bob's id
    other_secret = UnsubscribeSigner("another-secret-0123456789abcdef").token(bob, "winback")

    for token in (other_customer, other_secret, "1.winback.nothex"):
        response = await console.request(method, "/unsubscribe/" + token)
        assert response.status == 404
        assert "This link doesn't work" in await response.text()
    assert _email_opt_in(sessions, anna) is True and _email_opt_in(sessions, bob) is True
