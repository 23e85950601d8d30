"""One-time link codes on a real SQLite file: issuing, redeeming, limits, unlinking."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.account_linking import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_FAILURES,
    AccountLinking,
    LinkOutcome,
    code_hash,
)
from store.db import make_engine, make_session_factory
from store.errors import CustomerNotFound
from store.link_codes import LinkAttempt, LinkCode
from store.models import ChatSession
from store.repository import ShopRepository
from tests.factories import add_customer
from tests.store.conftest import FakeClock

USER = "telegram-1001"


@pytest.fixture
def anna(sessions: sessionmaker[Session]) -> int:
    return add_customer(sessions, email="anna@example.com", first_name="Anna")


@pytest.fixture
def linking(sessions: sessionmaker[Session], clock: FakeClock) -> AccountLinking:
    return AccountLinking(sessions, clock=clock)


def test_issued_code_is_short_unambiguous_and_only_its_hash_is_stored(
    linking, sessions, anna
) -> None:
    issued = linking.issue_code(anna)
    assert len(issued.code) == CODE_LENGTH
    assert set(issued.code) <= set(CODE_ALPHABET)
    assert not set("01OILU") & set(CODE_ALPHABET)
    with sessions() as s:
        row = s.scalars(select(LinkCode)).one()
        assert row.code_sha256 == code_hash(issued.code)
        assert issued.code not in row.code_sha256
        assert row.channel == "telegram" and row.customer_id == anna
        assert (row.expires_at - row.created_at).total_seconds() == 15 * 60


def test_code_for_unknown_customer_is_refused(linking) -> None:
    with pytest.raises(CustomerNotFound):
        linking.issue_code(9999)


def test_redeeming_links_the_channel_user_to_the_customer(linking, repo, anna) -> None:
    issued = linking.issue_code(anna)
    result = linking.redeem(issued.code, "telegram", USER)
    assert result.outcome is LinkOutcome.LINKED
    assert result.customer is not None and result.customer.display_name == "Anna"
    linked = repo.customer_for_sender(USER, "telegram")
    assert linked is not None and linked.id == anna


def test_code_is_read_as_typed_in_lower_case_with_spaces(linking, repo, anna) -> None:
    code = linking.issue_code(anna).code
    typed = f" {code[:4].lower()} {code[4:].lower()} "
    assert linking.redeem(typed, "telegram", USER).outcome is LinkOutcome.LINKED


def test_code_is_single_use(linking, repo, anna) -> None:
    code = linking.issue_code(anna).code
    assert linking.redeem(code, "telegram", USER).outcome is LinkOutcome.LINKED
    again = linking.redeem(code, "telegram", "telegram-2002")
    assert again.outcome is LinkOutcome.USED and again.customer is None
    assert repo.customer_for_sender("telegram-2002", "telegram") is None


def test_expired_code_is_refused(linking, repo, clock, anna) -> None:
    code = linking.issue_code(anna).code
    clock.advance(minutes=15)
    assert linking.redeem(code, "telegram", USER).outcome is LinkOutcome.EXPIRED
    assert repo.customer_for_sender(USER, "telegram") is None


def test_code_works_until_just_before_it_expires(linking, clock, anna) -> None:
    code = linking.issue_code(anna).code
    clock.advance(minutes=14, seconds=59)
    assert linking.redeem(code, "telegram", USER).outcome is LinkOutcome.LINKED


def test_unknown_and_malformed_codes_are_refused(linking, anna) -> None:
    linking.issue_code(anna)
    assert linking.redeem("ABCD2345", "telegram", USER).outcome is LinkOutcome.UNKNOWN
    assert linking.redeem("not a code!", "telegram", USER).outcome is LinkOutcome.UNKNOWN


def test_code_of_another_channel_is_unknown_here(linking, anna) -> None:
    code = linking.issue_code(anna, channel="whatsapp").code
    assert linking.redeem(code, "telegram", USER).outcome is LinkOutcome.UNKNOWN


def test_new_code_replaces_the_customers_unused_one(linking, sessions, anna) -> None:
    first = linking.issue_code(anna).code
    second = linking.issue_code(anna).code
    assert linking.redeem(first, "telegram", USER).outcome is LinkOutcome.UNKNOWN
    assert linking.redeem(second, "telegram", USER).outcome is LinkOutcome.LINKED
    with sessions() as s:
        assert s.scalar(select(func.count(LinkCode.id))) == 1


def test_wrong_codes_are_limited_per_channel_user_for_an_hour(linking, clock, anna) -> None:
    for _ in range(MAX_FAILURES):
        assert linking.redeem("ZZZZ2222", "telegram", USER).outcome is LinkOutcome.UNKNOWN
    good = linking.issue_code(anna).code
    # Even the right code is refused while the limit holds: guessing must not pay off.
    assert linking.redeem(good, "telegram", USER).outcome is LinkOutcome.LIMITED
    # Another Telegram user is not held back by this one's failures.
    other = linking.issue_code(anna).code
    assert linking.redeem(other, "telegram", "telegram-3003").outcome is LinkOutcome.LINKED
    clock.advance(hours=1)
    fresh = linking.issue_code(anna).code
    assert linking.redeem(fresh, "telegram", USER).outcome is LinkOutcome.LINKED


def test_attempts_are_recorded_with_their_result(linking, sessions, anna) -> None:
    linking.redeem("ZZZZ2222", "telegram", USER)
    linking.redeem(linking.issue_code(anna).code, "telegram", USER)
    with sessions() as s:
        rows = s.scalars(select(LinkAttempt).order_by(LinkAttempt.id)).all()
        assert [(r.channel_user_id, r.ok) for r in rows] == [(USER, False), (USER, True)]


def test_linking_gives_the_open_chat_session_its_customer(linking, repo, sessions, anna) -> None:
    repo.start_session(USER, None, "telegram")
    linking.redeem(linking.issue_code(anna).code, "telegram", USER)
    with sessions() as s:
        row = s.scalars(select(ChatSession).where(ChatSession.sender_id == USER)).one()
        assert row.customer_id == anna


def test_relinking_moves_the_channel_user_to_the_new_customer(linking, repo, sessions) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna")
    ben = add_customer(sessions, email="ben@example.com", first_name="Ben")
    linking.redeem(linking.issue_code(anna).code, "telegram", USER)
    linking.redeem(linking.issue_code(ben).code, "telegram", USER)
    linked = repo.customer_for_sender(USER, "telegram")
    assert linked is not None and linked.id == ben


def test_unlink_removes_only_that_channels_identity(linking, repo, anna) -> None:
    linking.redeem(linking.issue_code(anna).code, "telegram", USER)
    repo.link_identity("web", "web-abc", anna)
    assert linking.unlink("telegram", USER) is True
    assert repo.customer_for_sender(USER, "telegram") is None
    assert repo.customer_for_sender("web-abc", "web") is not None
    assert linking.unlink("telegram", USER) is False


def test_two_racing_redemptions_of_one_code_link_once(
    tmp_path: Path, sessions: sessionmaker[Session], anna: int
) -> None:
    url = str(sessions.kw["bind"].url)
    code = AccountLinking(sessions).issue_code(anna).code
    results: list[LinkOutcome] = []
    barrier = threading.Barrier(4)

    def redeem(user: str) -> None:
        # One engine per thread, as two action server processes would have.
        engine = make_engine(url)
        try:
            barrier.wait()
            results.append(
                AccountLinking(make_session_factory(engine)).redeem(code, "telegram", user).outcome
            )
        finally:
            engine.dispose()

    threads = [threading.Thread(target=redeem, args=(f"telegram-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == sorted([LinkOutcome.LINKED] + [LinkOutcome.USED] * 3)
    repo = ShopRepository(sessions)
    linked = [n for n in range(4) if repo.customer_for_sender(f"telegram-{n}", "telegram")]
    assert len(linked) == 1
