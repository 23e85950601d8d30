"""``python -m store link-code``: the operators' (and tests') way to issue a link code."""

from __future__ import annotations

import argparse
import dataclasses
import re

from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from store.__main__ import main
from store.account_linking import AccountLinking, LinkOutcome
from store.link_cli import cmd_link_code
from tests.factories import add_customer


def _printed_code(out: str) -> str:
    match = re.search(r"^code: (\S+)$", out, re.MULTILINE)
    assert match, out
    return match.group(1)


def test_link_code_by_email_prints_a_code_that_links(
    db_url: str, sessions: sessionmaker[Session], capsys
) -> None:
    anna = add_customer(sessions, email="Anna@Example.com", first_name="Anna")
    assert main(["--db-url", db_url, "link-code", "--email", "anna@example.com"]) == 0
    out = capsys.readouterr().out
    assert f"customer: {anna}" in out
    result = AccountLinking(sessions).redeem(_printed_code(out), "telegram", "telegram-7")
    assert result.outcome is LinkOutcome.LINKED


def test_link_code_for_an_unknown_customer_says_so(db_url: str, sessions, capsys) -> None:
    assert main(["--db-url", db_url, "link-code", "--email", "nobody@example.com"]) == 1
    assert "No customer has the e-mail 'nobody@example.com'" in capsys.readouterr().err
    assert main(["--db-url", db_url, "link-code", "--customer", "424242"]) == 1
    assert "No customer has the id 424242" in capsys.readouterr().err


def test_link_code_prints_the_telegram_deep_link_when_the_bot_is_named(
    db_url: str, sessions: sessionmaker[Session], capsys
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna")
    settings = dataclasses.replace(Settings.from_env(), telegram_bot_name="shop_concierge_bot")
    args = argparse.Namespace(db_url=db_url, customer=anna, email=None, channel="telegram")
    assert cmd_link_code(args, settings) == 0
    out = capsys.readouterr().out
    code = _printed_code(out)
    assert f"link: https://t.me/shop_concierge_bot?start={code}" in out
