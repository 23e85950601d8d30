"""The account-linking command of ``python -m store``: a link code for a customer.

    python -m store link-code --email anna@example.com
    python -m store link-code --customer 42 [--channel telegram]

What a shop's server does for a signed-in customer (the demo shop's page does the same),
for operators and tests: prints the one-time code, when it expires and, when
``TELEGRAM_BOT_NAME`` is set, the t.me deep link that sends it to the bot.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import func, select

from concierge.settings import Settings
from store.account_linking import DEFAULT_CHANNEL, AccountLinking, telegram_deep_link
from store.db import make_engine, make_session_factory, upgrade
from store.errors import CustomerNotFound
from store.models import Customer
from store.rules import same_email


def _customer_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a customer id is a positive whole number, got {text!r}")
    return value


def _find_customer(sessions: Any, email: str) -> int | None:
    with sessions() as s:
        rows = s.execute(
            select(Customer.id, Customer.email).where(
                func.lower(Customer.email) == email.strip().lower()
            )
        )
        for customer_id, stored in rows:
            if same_email(stored, email):
                return int(customer_id)
    return None


def cmd_link_code(args: argparse.Namespace, settings: Settings) -> int:
    """Issue a link code for one customer and print it with its deep link."""
    upgrade(args.db_url)  # a database from before the link tables gets them first
    engine = make_engine(args.db_url)
    try:
        sessions = make_session_factory(engine)
        customer_id = args.customer or _find_customer(sessions, args.email)
        if customer_id is None:
            print(f"No customer has the e-mail {args.email!r}.", file=sys.stderr)
            return 1
        try:
            issued = AccountLinking(sessions).issue_code(customer_id, channel=args.channel)
        except CustomerNotFound:
            print(f"No customer has the id {customer_id}.", file=sys.stderr)
            return 1
    finally:
        engine.dispose()
    print(f"code: {issued.code}")
    print(f"customer: {issued.customer_id}")
    print(f"expires: {issued.expires_at_iso} UTC")
    if args.channel == "telegram" and settings.telegram_bot_name:
        print(f"link: {telegram_deep_link(settings.telegram_bot_name, issued.code)}")
    return 0


def add_commands(commands: Any) -> None:
    """Register ``link-code`` on the subparsers of ``python -m store``."""
    link = commands.add_parser(
        "link-code", help="issue a one-time code that links a customer's Telegram account"
    )
    who = link.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the customer's e-mail")
    who.add_argument("--customer", type=_customer_id, help="the customer's id")
    link.add_argument("--channel", default=DEFAULT_CHANNEL, help="default: telegram")
    link.set_defaults(run=cmd_link_code)
