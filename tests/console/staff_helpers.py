"""Helpers of the staff console tests: make accounts, sign in, read CSRF tokens."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.staff.accounts import StaffDirectory

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def add_account(
    sessions: sessionmaker[Session], email: str, *roles: str, name: str | None = None
) -> int:
    """Create an active account with PASSWORD and return its id."""
    account = StaffDirectory(sessions).create_account(
        email, PASSWORD, roles or ("agent",), display_name=name, actor="tests"
    )
    return account.id


def csrf_in(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def csrf_of(client: TestClient, path: str = "/staff/sign-in") -> str:
    """Open ``path`` and return the CSRF token its forms carry."""
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return csrf_in(await response.text())


async def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in as ``email``; fails the test if that does not work."""
    token = await csrf_of(client)
    response = await client.post(
        "/staff/sign-in",
        data={"email": email, "password": password, "csrf_token": token, "next": "/staff"},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
