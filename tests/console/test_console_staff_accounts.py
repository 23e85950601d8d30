"""Staff accounts: argon2 hashes, validation, authentication, and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console.models import StaffAccount
from console.staff.accounts import AccountError, StaffDirectory
from tests.console.staff_helpers import PASSWORD


def test_password_is_stored_as_an_argon2_hash_and_checks_out(
    sessions: sessionmaker[Session],
) -> None:
    directory = StaffDirectory(sessions)
    created = directory.create_account("Sam@Shop.example", PASSWORD, ["agent"], actor="tests")

    with sessions() as s:
        stored = s.scalar(select(StaffAccount.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert created.email == "sam@shop.example"
    assert directory.authenticate("sam@shop.example", PASSWORD) == directory.account(created.id)
    assert directory.authenticate("SAM@shop.example ", PASSWORD) is not None
    assert directory.authenticate("sam@shop.example", PASSWORD + "x") is None
    assert directory.authenticate("nobody@shop.example", PASSWORD) is None


def test_sign_in_time_is_recorded(sessions: sessionmaker[Session]) -> None:
    directory = StaffDirectory(sessions)
    created = directory.create_account("sam@shop.example", PASSWORD, ["agent"])
    assert created.last_sign_in_at is None

    signed_in = directory.authenticate("sam@shop.example", PASSWORD)

    assert signed_in is not None and signed_in.last_sign_in_at is not None


@pytest.mark.parametrize(
    "email, password, roles, message",
    [
        ("not-an-address", PASSWORD, ["agent"], "is not an e-mail address"),
        ("sam@shop.example", "short", ["agent"], "at least 10 characters"),
        ("sam@shop.example", PASSWORD, ["owner"], "unknown role(s) owner"),
        ("sam@shop.example", PASSWORD, [], "at least one role"),
    ],
)
def test_invalid_accounts_are_refused_with_the_reason(
    sessions: sessionmaker[Session], email: str, password: str, roles: list[str], message: str
) -> None:
    with pytest.raises(AccountError, match=message.replace("(", r"\(").replace(")", r"\)")):
        StaffDirectory(sessions).create_account(email, password, roles)


def test_second_account_with_the_same_email_is_refused(sessions: sessionmaker[Session]) -> None:
    directory = StaffDirectory(sessions)
    directory.create_account("sam@shop.example", PASSWORD, ["agent"])

    with pytest.raises(AccountError, match="an account for sam@shop.example already exists"):
        directory.create_account("SAM@shop.example", PASSWORD, ["marketer"])


def test_disabled_account_cannot_sign_in(sessions: sessionmaker[Session]) -> None:
    directory = StaffDirectory(sessions)
    account = directory.create_account("sam@shop.example", PASSWORD, ["agent"])

    directory.set_active(account.id, False, actor="boss@shop.example")

    assert directory.authenticate("sam@shop.example", PASSWORD) is None


def test_account_changes_are_written_to_the_audit_log(sessions: sessionmaker[Session]) -> None:
    directory = StaffDirectory(sessions)
    account = directory.create_account(
        "sam@shop.example", PASSWORD, ["agent", "marketer"], actor="boss@shop.example"
    )
    directory.set_active(account.id, False, actor="boss@shop.example")

    log = directory.audit_log()

    assert [(e.actor_email, e.action, e.target) for e in log] == [
        ("boss@shop.example", "account_disabled", "sam@shop.example"),
        ("boss@shop.example", "account_created", "sam@shop.example"),
    ]
    assert log[1].detail == {"roles": ["agent", "marketer"]}


def test_admin_holds_every_role_and_others_only_their_own(sessions: sessionmaker[Session]) -> None:
    directory = StaffDirectory(sessions)
    admin = directory.create_account("boss@shop.example", PASSWORD, ["admin"])
    marketer = directory.create_account("mia@shop.example", PASSWORD, ["marketer"])

    assert admin.has_any(["agent"]) and admin.has_any(["marketer"])
    assert marketer.has_any(["marketer"]) and not marketer.has_any(["agent"])
