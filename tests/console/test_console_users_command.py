"""``python -m console users add/list`` creates the first accounts from a shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from console.staff.accounts import StaffDirectory
from store.db import make_engine, make_session_factory
from tests.factories import sqlite_url

ROOT = Path(__file__).resolve().parents[2]


def run_console(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CONCIERGE_VAR_DIR": str(tmp_path),
        "CONCIERGE_DB_URL": sqlite_url(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def directory(tmp_path: Path) -> StaffDirectory:
    return StaffDirectory(make_session_factory(make_engine(sqlite_url(tmp_path))))


def test_users_add_on_a_fresh_database_prints_a_working_password(tmp_path: Path) -> None:
    result = run_console(tmp_path, "users", "add", "boss@shop.example", "--role", "admin")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "created boss@shop.example with role(s) admin"
    password = lines[1].removeprefix("password: ")
    assert len(password) >= 16
    found = directory(tmp_path).authenticate("boss@shop.example", password)
    assert found is not None and found.roles == {"admin"}


def test_users_add_reads_the_password_from_stdin_and_lists_accounts(tmp_path: Path) -> None:
    added = run_console(
        tmp_path,
        "users",
        "add",
        "sam@shop.example",
        "--role",
        "agent",
        "--role",
        "marketer",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    listed = run_console(tmp_path, "users", "list")

    assert added.returncode == 0 and "password:" not in added.stdout
    assert directory(tmp_path).authenticate("sam@shop.example", "a long enough secret")
    assert listed.stdout == "sam@shop.example\tagent,marketer\tactive\n"


def test_users_add_twice_fails_with_the_reason(tmp_path: Path) -> None:
    run_console(tmp_path, "users", "add", "sam@shop.example", "--role", "agent")

    again = run_console(tmp_path, "users", "add", "sam@shop.example", "--role", "agent")

    assert again.returncode == 2
    assert "an account for sam@shop.example already exists" in again.stderr


def test_users_add_with_an_unknown_role_names_the_choices(tmp_path: Path) -> None:
    result = run_console(tmp_path, "users", "add", "sam@shop.example", "--role", "owner")

    assert result.returncode == 2
    assert "invalid choice: 'owner'" in result.stderr and "'agent'" in result.stderr
