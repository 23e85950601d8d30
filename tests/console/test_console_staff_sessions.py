"""Staff sessions live on the server: signing out or disabling an account ends them everywhere."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from console.staff.accounts import StaffDirectory
from console.staff.sessions import STAFF_COOKIE
from tests.console.conftest import COOKIE_SECRET
from tests.console.staff_helpers import add_account, csrf_of, sign_in


async def copied_cookie(client: TestClient) -> str:
    return client.session.cookie_jar.filter_cookies(client.make_url("/staff"))[STAFF_COOKIE].value


async def with_cookie(aiohttp_client: Any, settings: Settings, cookie: str) -> TestClient:
    """Another browser (the attacker's), carrying a copy of the cookie."""
    other = await aiohttp_client(create_app(settings, cookie_secret=COOKIE_SECRET))
    other.session.cookie_jar.update_cookies({STAFF_COOKIE: cookie})
    return other


async def test_a_copied_cookie_stops_working_when_its_owner_signs_out(
    aiohttp_client: Any, client: TestClient, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(client, "sam@shop.example")
    stolen = await copied_cookie(client)
    thief = await with_cookie(aiohttp_client, settings, stolen)
    assert (await thief.get("/staff", allow_redirects=False)).status == 200

    token = await csrf_of(client, "/staff")
    signed_out = await client.post(
        "/staff/sign-out", data={"csrf_token": token}, allow_redirects=False
    )
    assert signed_out.status == 303

    response = await thief.get("/staff/conversations", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/staff/sign-in")
    page = await thief.get("/staff")
    assert "Staff sign-in" in await page.text()


async def test_disabling_an_account_ends_its_sessions_for_good(
    aiohttp_client: Any, client: TestClient, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    """Re-enabling the account later does not bring a copied cookie back to life."""
    sam = add_account(sessions, "sam@shop.example", "agent")
    sam_browser = await aiohttp_client(create_app(settings, cookie_secret=COOKIE_SECRET))
    await sign_in(sam_browser, "sam@shop.example")
    stolen = await copied_cookie(sam_browser)
    add_account(sessions, "boss@shop.example", "admin")
    await sign_in(client, "boss@shop.example")

    for active in ("0", "1"):
        token = await csrf_of(client, "/admin/accounts")
        response = await client.post(
            f"/admin/accounts/{sam}/active",
            data={"active": active, "csrf_token": token},
            allow_redirects=False,
        )
        assert response.status == 303
    account = StaffDirectory(sessions).account(sam)
    assert account is not None and account.active

    thief = await with_cookie(aiohttp_client, settings, stolen)
    assert (await thief.get("/staff", allow_redirects=False)).status == 303
    assert (await sam_browser.get("/staff", allow_redirects=False)).status == 303


async def test_signing_in_again_starts_a_new_session_and_the_old_one_stays_ended(
    aiohttp_client: Any, client: TestClient, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(client, "sam@shop.example")
    first = await copied_cookie(client)
    await client.post("/staff/sign-out", data={"csrf_token": await csrf_of(client, "/staff")})

    await sign_in(client, "sam@shop.example")

    assert (await client.get("/staff", allow_redirects=False)).status == 200
    assert await copied_cookie(client) != first
    old = await with_cookie(aiohttp_client, settings, first)
    assert (await old.get("/staff", allow_redirects=False)).status == 303
