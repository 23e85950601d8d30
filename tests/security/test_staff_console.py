"""Attacks on the staff side of a real console process on loopback (issue 12, security review).

The console runs as a shop runs it (``python -m console`` under the stack supervisor, no
demo mode, secrets from the environment) on a migrated shop of its own. Each attack is
made over HTTP the way an attacker would make it, and each test asserts what the attacker
got: a redirect to the staff home or the sign-in page, a refusal, and no change on record.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy.orm import Session, sessionmaker

from concierge.stack import Stack
from console.staff.accounts import StaffDirectory
from console.staff.sessions import STAFF_COOKIE
from console.staff.sign_in_throttle import BASE_WAIT_SECONDS, FREE_FAILURES
from tests.factories import migrated_store
from tests.support.servers import isolated_settings

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass(frozen=True)
class Console:
    url: str
    sessions: sessionmaker[Session]
    accounts: dict[str, int]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    var_dir: Path = tmp_path_factory.mktemp("staff-console")
    settings = isolated_settings(var_dir)
    sessions = migrated_store(var_dir, "concierge.db")
    directory = StaffDirectory(sessions)
    accounts = {
        name: directory.create_account(f"{name}@shop.example", PASSWORD, roles, actor="tests").id
        for name, roles in {
            "boss": ["admin"],
            "sam": ["agent"],
            "kim": ["agent"],
            "burst": ["agent"],
        }.items()
    }
    stack = Stack(replace(settings, demo=False), services=("console",))
    stack.start(timeout=90)  # stops what it started before raising, if the console fails
    try:
        yield Console(settings.console_url, sessions, accounts)
    finally:
        stack.stop()
        sessions.kw["bind"].dispose()


class Browser:
    """One client with its own cookie jar (a staff member's browser, or the attacker's)."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.http = session

    async def csrf(self, path: str = "/staff/sign-in") -> str:
        async with self.http.get(self.base_url + path) as response:
            found = _CSRF.search(await response.text())
        assert found, f"{path} has no form"
        return found.group(1)

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        """(status, Location, body) of a form POST, redirects not followed."""
        async with self.http.post(
            self.base_url + path, data=data, allow_redirects=False
        ) as response:
            return response.status, response.headers.get("Location", ""), await response.text()

    async def get(self, path: str) -> tuple[int, str, str]:
        async with self.http.get(self.base_url + path, allow_redirects=False) as response:
            return response.status, response.headers.get("Location", ""), await response.text()

    async def sign_in(
        self, email: str, password: str = PASSWORD, *, form: str = "/staff/sign-in"
    ) -> tuple[int, str]:
        """(status, Location) of signing in through the sign-in page at ``form``."""
        async with self.http.get(self.base_url + form) as response:
            page = await response.text()
        found = _CSRF.search(page)
        assert found, page
        next_field = re.search(r'name="next" value="([^"]*)"', page)
        fields = {"email": email, "password": password, "csrf_token": found.group(1)}
        if next_field:
            fields["next"] = html.unescape(next_field.group(1))
        status, location, _ = await self.post("/staff/sign-in", fields)
        return status, location

    def staff_cookie(self) -> str:
        return next(c.value for c in self.http.cookie_jar if c.key == STAFF_COOKIE)


OpenBrowser = Callable[[], Browser]


@pytest_asyncio.fixture
async def browsers(console: Console) -> AsyncIterator[OpenBrowser]:
    opened: list[aiohttp.ClientSession] = []

    def open_browser() -> Browser:
        # unsafe=True: the console is on an IP address, whose cookies aiohttp drops by default.
        session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=0),
        )
        opened.append(session)
        return Browser(console.url, session)

    try:
        yield open_browser
    finally:
        for session in opened:
            await session.close()


# --- Open redirect after sign-in --------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
        "https:evil.example",
        "/%2F/evil.example",
    ],
)
async def test_a_sign_in_link_never_sends_staff_off_site(
    console: Console, browsers: OpenBrowser, target: str
) -> None:
    staff = browsers()
    # The phishing link: the target sits in the sign-in page's query string.
    signed_in = await staff.sign_in("sam@shop.example", form=f"/staff/sign-in?next={target}")

    assert signed_in == (303, "/staff")
    # Already signed in, the same link goes straight on: to the staff home too.
    status, location, _ = await staff.get(f"/staff/sign-in?next={target}")
    assert (status, location) == (303, "/staff")


# --- Guessing passwords in a parallel burst ---------------------------------------------


async def test_a_burst_of_200_parallel_guesses_gets_no_more_checks_than_the_throttle(
    console: Console, browsers: OpenBrowser
) -> None:
    attacker = browsers()
    token = await attacker.csrf()

    async def guess(n: int) -> int:
        fields = {"email": "burst@shop.example", "password": f"guess-{n:04d}", "csrf_token": token}
        status, _, _ = await attacker.post("/staff/sign-in", fields)
        return status

    statuses = await asyncio.gather(*(guess(n) for n in range(200)))

    assert statuses.count(401) <= FREE_FAILURES
    assert set(statuses) <= {401, 429}
    checked = [
        e
        for e in StaffDirectory(console.sessions).audit_log(limit=1000)
        if e.action == "sign_in_failed" and e.target == f"account {console.accounts['burst']}"
    ]
    assert len(checked) == statuses.count(401) <= FREE_FAILURES
    # The right password, straight after the burst, is refused like any other attempt.
    right, _ = await attacker.sign_in("burst@shop.example")
    assert right == 429
    assert (await attacker.get("/staff"))[0] == 303

    # Once the window has passed, the owner of the account signs in as usual.
    await asyncio.sleep(BASE_WAIT_SECONDS + 0.5)
    assert await attacker.sign_in("burst@shop.example") == (303, "/staff")


# --- Revoked sessions -------------------------------------------------------------------


async def test_a_copied_cookie_gets_nothing_after_its_owner_signs_out(
    console: Console, browsers: OpenBrowser
) -> None:
    boss = browsers()
    assert (await boss.sign_in("boss@shop.example"))[0] == 303
    stolen = boss.staff_cookie()
    csrf_seen = await boss.csrf("/admin/accounts")
    status, location, _ = await boss.post("/staff/sign-out", {"csrf_token": csrf_seen})
    assert (status, location) == (303, "/staff/sign-in")

    thief = browsers()
    thief.http.cookie_jar.update_cookies({STAFF_COOKIE: stolen})
    for path in ("/staff", "/staff/conversations", "/admin/accounts", "/admin/audit"):
        status, location, body = await thief.get(path)
        assert status == 303 and location.startswith("/staff/sign-in"), path
        assert "boss@shop.example" not in body
    status, _, _ = await thief.post(
        "/admin/accounts",
        {
            "email": "mallory@evil.example",
            "password": "mallory-password-1",
            "role": "admin",
            "csrf_token": csrf_seen,
        },
    )
    assert status in (401, 403)
    emails = [a.email for a in StaffDirectory(console.sessions).accounts()]
    assert "mallory@evil.example" not in emails


async def test_a_disabled_account_s_copied_cookie_gets_nothing_even_after_re_enabling(
    console: Console, browsers: OpenBrowser
) -> None:
    kim = browsers()
    assert (await kim.sign_in("kim@shop.example"))[0] == 303
    stolen = kim.staff_cookie()
    boss = browsers()
    assert (await boss.sign_in("boss@shop.example"))[0] == 303

    for active in ("0", "1"):
        token = await boss.csrf("/admin/accounts")
        status, _, _ = await boss.post(
            f"/admin/accounts/{console.accounts['kim']}/active",
            {"active": active, "csrf_token": token},
        )
        assert status == 303

    thief = browsers()
    thief.http.cookie_jar.update_cookies({STAFF_COOKIE: stolen})
    status, location, _ = await thief.get("/staff/conversations")
    assert status == 303 and location.startswith("/staff/sign-in")
