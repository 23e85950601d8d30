"""The demo's three staff accounts (admin, agent, marketer) with random passwords.

``make demo`` calls :func:`demo_account_lines`: on the first start it creates the
accounts and prints their passwords once (only argon2 hashes are stored); later starts
say they exist and how to get new passwords:

    python -m console.demo_accounts reset     # new random passwords for the three accounts
"""

from __future__ import annotations

import argparse
import secrets
import sys

from argon2 import PasswordHasher
from sqlalchemy import select

from concierge.settings import Settings
from console.models import StaffAccount
from console.staff.accounts import StaffDirectory, write_audit
from store.db import make_engine, make_session_factory, upgrade

# (e-mail, role, display name); .example is reserved, so these can never reach a real inbox.
DEMO_ACCOUNTS = (
    ("admin@concierge.example", "admin", "Demo admin"),
    ("agent@concierge.example", "agent", "Demo agent"),
    ("marketer@concierge.example", "marketer", "Demo marketer"),
)
RESET_COMMAND = "python -m console.demo_accounts reset"


def new_password() -> str:
    """A random password long enough for the account rules (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def ensure_demo_accounts(directory: StaffDirectory) -> dict[str, str]:
    """Create the missing demo accounts; returns e-mail → password of those just created."""
    existing = {a.email for a in directory.accounts()}
    created: dict[str, str] = {}
    for email, role, name in DEMO_ACCOUNTS:
        if email in existing:
            continue
        password = new_password()
        directory.create_account(email, password, [role], display_name=name, actor="make demo")
        created[email] = password
    return created


class DemoDirectory(StaffDirectory):
    """The staff directory, plus the password reset only the demo accounts get."""

    def reset_demo_passwords(self) -> dict[str, str]:
        """Give every existing demo account a new random password; audited. Returns them."""
        hasher = PasswordHasher()
        emails = [email for email, _, _ in DEMO_ACCOUNTS]
        fresh: dict[str, str] = {}
        with self._write() as s:
            now = self._clock()
            for row in s.scalars(select(StaffAccount).where(StaffAccount.email.in_(emails))):
                password = new_password()
                row.password_hash = hasher.hash(password)
                write_audit(s, now, "demo accounts", "password_reset", row.email, {})
                fresh[row.email] = password
        return fresh


def _lines(passwords: dict[str, str], verb: str) -> list[str]:
    roles = {email: role for email, role, _ in DEMO_ACCOUNTS}
    return [f"  {roles[e]:<9} {e}  password: {p}   ({verb})" for e, p in passwords.items()]


def demo_account_lines(settings: Settings) -> list[str]:
    """Make sure the demo accounts exist; the lines to print about them."""
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        created = ensure_demo_accounts(StaffDirectory(make_session_factory(engine)))
    finally:
        engine.dispose()
    lines = [f"Staff console: {settings.console_url}/staff"]
    lines += _lines(created, "new — shown only now")
    untouched = [(e, r) for e, r, _ in DEMO_ACCOUNTS if e not in created]
    if untouched:
        names = ", ".join(f"{e} ({r})" for e, r in untouched)
        lines.append(f"  Existing demo accounts: {names}.")
        lines.append(f"  Forgot their passwords? {RESET_COMMAND}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python -m console.demo_accounts [ensure|reset]``."""
    parser = argparse.ArgumentParser(prog="python -m console.demo_accounts")
    parser.add_argument("command", choices=("ensure", "reset"), nargs="?", default="ensure")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "ensure":
        print("\n".join(demo_account_lines(settings)))
        return 0
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        fresh = DemoDirectory(make_session_factory(engine)).reset_demo_passwords()
    finally:
        engine.dispose()
    if not fresh:
        print("There are no demo accounts yet; `make demo` creates them.", file=sys.stderr)
        return 1
    print("\n".join(_lines(fresh, "new password")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
