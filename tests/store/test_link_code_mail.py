"""Requests for a link code by e-mail on a real SQLite file: limits, privacy, withdrawal."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.account_linking import AccountLinking, LinkOutcome
from store.link_code_mail import (
    MAX_MAILS_PER_ADDRESS,
    MAX_MAILS_PER_USER,
    LinkCodeMail,
    MailOutcome,
)
from store.link_codes import LinkAttempt, LinkCode
from tests.factories import add_customer
from tests.store.conftest import FakeClock

USER = "telegram-2002"


@pytest.fixture
def anna(sessions: sessionmaker[Session]) -> int:
    return add_customer(sessions, email="anna@example.com", first_name="Anna")


@pytest.fixture
def mail(sessions: sessionmaker[Session], clock: FakeClock) -> LinkCodeMail:
    return LinkCodeMail(sessions, clock=clock)


def test_a_known_address_gets_a_code_that_links_like_the_account_pages(
    mail, sessions, clock, anna
) -> None:
    request = mail.request(USER, " ANNA@example.com ")
    assert request.outcome is MailOutcome.ISSUED
    assert request.code is not None and request.code.customer_id == anna
    assert request.first_name == "Anna"
    redeemed = AccountLinking(sessions, clock=clock).redeem(request.code.code, "telegram", USER)
    assert redeemed.outcome is LinkOutcome.LINKED


def test_an_unknown_address_is_counted_but_gets_no_code(mail, sessions, anna) -> None:
    request = mail.request(USER, "nobody@example.com")
    assert request.outcome is MailOutcome.NO_ACCOUNT and request.code is None
    assert len(request.attempt_ids) == 2
    with sessions() as s:
        assert s.scalars(select(LinkCode)).all() == []


def test_the_address_itself_is_not_stored(mail, sessions, anna) -> None:
    mail.request(USER, "anna@example.com")
    with sessions() as s:
        stored = [(a.channel, a.channel_user_id) for a in s.scalars(select(LinkAttempt))]
    assert ("mail:telegram", USER) in stored
    assert all("anna" not in user_id for _, user_id in stored)


def test_limits_per_user_and_per_address_last_an_hour(mail, clock, anna) -> None:
    for _ in range(MAX_MAILS_PER_USER):
        assert mail.request(USER, "anna@example.com").outcome is MailOutcome.ISSUED
    assert mail.request(USER, "else@example.com").outcome is MailOutcome.LIMITED
    # Other users may not flood the same address either.
    assert mail.request("telegram-other", "ANNA@example.com").outcome is MailOutcome.LIMITED
    clock.advance(minutes=61)
    assert mail.request(USER, "anna@example.com").outcome is MailOutcome.ISSUED


def test_the_address_limit_holds_across_users(mail, anna) -> None:
    for n in range(MAX_MAILS_PER_ADDRESS):
        assert mail.request(f"telegram-{n}", "anna@example.com").outcome is MailOutcome.ISSUED
    assert mail.request("telegram-new", "anna@example.com").outcome is MailOutcome.LIMITED


def test_a_withdrawn_request_counts_for_nothing_and_its_code_is_void(
    mail, sessions, clock, anna
) -> None:
    for _ in range(MAX_MAILS_PER_USER + 2):
        request = mail.request(USER, "anna@example.com")
        assert request.outcome is MailOutcome.ISSUED
        mail.withdraw(request)
    assert request.code is not None
    refused = AccountLinking(sessions, clock=clock).redeem(request.code.code, "telegram", USER)
    assert refused.outcome is LinkOutcome.UNKNOWN
    with sessions() as s:
        assert s.scalars(select(LinkCode)).all() == []
