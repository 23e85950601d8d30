"""``make demo``'s three staff accounts: created once with random passwords, never stored plain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import ROOT
from console.demo_accounts import DEMO_ACCOUNTS, DemoDirectory, demo_account_lines
from console.models import StaffAccount
from console.staff.accounts import StaffDirectory
from tests.console.conftest import make_settings
from tests.support.servers import free_port


def test_first_start_creates_three_accounts_and_prints_passwords_that_sign_in(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    lines = demo_account_lines(make_settings(tmp_path, free_port()))

    directory = StaffDirectory(sessions)
    roles = {a.email: set(a.roles) for a in directory.accounts()}
    assert roles == {email: {role} for email, role, _ in DEMO_ACCOUNTS}
    for email, _, _ in DEMO_ACCOUNTS:
        line = next(line for line in lines if email in line)
        password = line.split("password: ")[1].split()[0]
        assert directory.authenticate(email, password) is not None
        with sessions() as s:
            stored = s.scalar(select(StaffAccount.password_hash).where(StaffAccount.email == email))
        assert password not in stored and stored.startswith("$argon2")


def test_later_starts_print_no_password_but_how_to_reset(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    settings = make_settings(tmp_path, free_port())
    demo_account_lines(settings)

    again = demo_account_lines(settings)

    assert not any("password:" in line for line in again)
    assert any("python -m console.demo_accounts reset" in line for line in again)
    assert len(StaffDirectory(sessions).accounts()) == 3


def test_reset_gives_new_passwords_and_the_old_ones_stop_working(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    first = demo_account_lines(make_settings(tmp_path, free_port()))
    old = {
        e: line.split("password: ")[1].split()[0]
        for line in first
        for e, _, _ in DEMO_ACCOUNTS
        if e in line
    }

    fresh = DemoDirectory(sessions).reset_demo_passwords()

    directory = StaffDirectory(sessions)
    for email, password in fresh.items():
        assert directory.authenticate(email, password) is not None
        assert directory.authenticate(email, old[email]) is None
    assert directory.audit_log()[0].action == "password_reset"


def test_reset_command_without_demo_accounts_explains_what_to_do(tmp_path: Path) -> None:
    env = {"CONCIERGE_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "console.demo_accounts", "reset"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "There are no demo accounts yet; `make demo` creates them." in result.stderr
