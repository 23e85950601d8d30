"""Staff sign-in over HTTP: sessions, CSRF, slowing down guesses, signing out."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from console.signed_cookie import CHAT_COOKIE
from console.staff.accounts import StaffDirectory
from console.staff.sessions import STAFF_COOKIE
from console.staff.sign_in_throttle import SignInThrottle
from tests.console.chat_helpers import start_chat
from tests.console.conftest import COOKIE_SECRET
from tests.console.staff_helpers import PASSWORD, add_account, csrf_of, sign_in

pytestmark = pytest.mark.asyncio


async def test_staff_page_sends_a_visitor_to_sign_in_and_back(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example", "agent", name="Sam")

    response = await client.get("/staff", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/staff/sign-in?next=%2Fstaff"

    token = await csrf_of(client, "/staff/sign-in?next=%2Fstaff")
    signed = await client.post(
        "/staff/sign-in",
        data={
            "email": "sam@shop.example",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/staff",
        },
        allow_redirects=False,
    )
    assert signed.status == 303 and signed.headers["Location"] == "/staff"
    home = await client.get("/staff")
    assert home.status == 200
    assert "Hello, Sam" in await home.text()


async def test_wrong_password_is_refused_with_a_clear_message(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    sam = add_account(sessions, "sam@shop.example")
    token = await csrf_of(client)

    response = await client.post(
        "/staff/sign-in",
        data={"email": "sam@shop.example", "password": "guess-guess", "csrf_token": token},
    )

    assert response.status == 401
    assert "do not match an active account" in await response.text()
    assert (await client.get("/staff", allow_redirects=False)).status == 303
    log = StaffDirectory(sessions).audit_log()
    assert log[0].action == "sign_in_failed" and log[0].target == f"account {sam}"


async def test_a_failed_sign_in_keeps_no_trace_of_what_was_typed(
    client: TestClient, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """A mistyped address may be a customer's, or a password typed in the wrong field."""
    add_account(sessions, "sam@shop.example")
    typed = ["anna.customer@example.com", "Hunter2-my-password"]
    caplog.set_level(logging.DEBUG)

    for text in typed:
        token = await csrf_of(client)
        response = await client.post(
            "/staff/sign-in", data={"email": text, "password": "nope-nope", "csrf_token": token}
        )
        assert response.status == 401

    entries = [e for e in StaffDirectory(sessions).audit_log() if e.action == "sign_in_failed"]
    assert len(entries) == 2
    recorded = " ".join(f"{e.actor_email} {e.target} {e.detail}" for e in entries).lower()
    logged = caplog.text.lower()
    for text in typed:
        assert text.lower() not in recorded and text.lower() not in logged
    # The same typed text gives the same pseudonym, so repeated guesses still add up.
    assert entries[0].target.startswith("typed-") and entries[0].target != entries[1].target


async def test_sign_in_without_the_csrf_token_is_refused(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example")
    await csrf_of(client)

    response = await client.post(
        "/staff/sign-in", data={"email": "sam@shop.example", "password": PASSWORD}
    )

    assert response.status == 403
    assert "did not come from the console" in await response.text()


async def test_csrf_token_of_another_session_is_refused(
    aiohttp_client: Any, client: TestClient, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example")
    other = await aiohttp_client(create_app(settings, cookie_secret=COOKIE_SECRET))
    foreign_token = await csrf_of(other)
    await csrf_of(client)

    response = await client.post(
        "/staff/sign-in",
        data={"email": "sam@shop.example", "password": PASSWORD, "csrf_token": foreign_token},
    )

    assert response.status == 403


async def test_repeated_failures_are_slowed_down_even_for_the_right_password(
    aiohttp_client: Any, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example")
    throttle = SignInThrottle(free_failures=3, base_wait_seconds=60.0)
    client = await aiohttp_client(
        create_app(settings, cookie_secret=COOKIE_SECRET, throttle=throttle)
    )
    token = await csrf_of(client)

    statuses = []
    for password in ["wrong-one-1", "wrong-one-2", "wrong-one-3", PASSWORD]:
        response = await client.post(
            "/staff/sign-in",
            data={"email": "sam@shop.example", "password": password, "csrf_token": token},
        )
        statuses.append(response.status)

    assert statuses == [401, 401, 401, 429]
    assert "Too many failed sign-ins. Wait 60 seconds" in await response.text()
    assert (await client.get("/staff", allow_redirects=False)).status == 303


async def test_after_sign_in_the_old_csrf_token_no_longer_works(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "boss@shop.example", "admin")
    before = await csrf_of(client)
    await sign_in(client, "boss@shop.example")

    response = await client.post(
        "/admin/accounts",
        data={
            "email": "x@shop.example",
            "password": PASSWORD,
            "role": "agent",
            "csrf_token": before,
        },
    )

    assert response.status == 403
    assert [a.email for a in StaffDirectory(sessions).accounts()] == ["boss@shop.example"]


async def test_sign_out_ends_the_session(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example")
    await sign_in(client, "sam@shop.example")
    token = await csrf_of(client, "/staff")

    response = await client.post(
        "/staff/sign-out", data={"csrf_token": token}, allow_redirects=False
    )

    assert response.status == 303 and response.headers["Location"] == "/staff/sign-in"
    assert (await client.get("/staff", allow_redirects=False)).status == 303


async def test_disabled_account_is_signed_out_on_its_next_request(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    sam = add_account(sessions, "sam@shop.example")
    await sign_in(client, "sam@shop.example")

    StaffDirectory(sessions).set_active(sam, False, actor="tests")

    assert (await client.get("/staff", allow_redirects=False)).status == 303


async def test_forged_or_chat_cookies_do_not_sign_anyone_in(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "boss@shop.example", "admin")
    started = await start_chat(client, guest="1")
    chat_cookie = started.cookies[CHAT_COOKIE].value

    for value in ["1:abc.9999999999.deadbeef", chat_cookie, chat_cookie.replace("web-", "1:")]:
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies({STAFF_COOKIE: value})
        response = await client.get("/admin/accounts", allow_redirects=False)
        assert response.status == 303, value


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
async def test_sign_in_never_redirects_off_site(
    client: TestClient, sessions: sessionmaker[Session], target: str
) -> None:
    add_account(sessions, "sam@shop.example")
    token = await csrf_of(client)

    response = await client.post(
        "/staff/sign-in",
        data={
            "email": "sam@shop.example",
            "password": PASSWORD,
            "csrf_token": token,
            "next": target,
        },
        allow_redirects=False,
    )

    assert response.status == 303 and response.headers["Location"] == "/staff"


async def test_customer_chat_pages_need_no_staff_cookie(client: TestClient) -> None:
    response = await client.get("/")

    assert response.status == 200
    assert STAFF_COOKIE not in response.cookies


async def test_a_burst_of_parallel_guesses_gets_no_more_checks_than_the_throttle_allows(
    aiohttp_client: Any, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example")
    throttle = SignInThrottle(free_failures=3, base_wait_seconds=60.0)
    client = await aiohttp_client(
        create_app(settings, cookie_secret=COOKIE_SECRET, throttle=throttle)
    )
    token = await csrf_of(client)

    async def guess(n: int) -> int:
        response = await client.post(
            "/staff/sign-in",
            data={"email": "sam@shop.example", "password": f"guess-{n:04d}", "csrf_token": token},
        )
        return response.status

    statuses = await asyncio.gather(*(guess(n) for n in range(200)))

    assert statuses.count(401) == 3
    assert statuses.count(429) == 197
    checked = [e for e in StaffDirectory(sessions).audit_log() if e.action == "sign_in_failed"]
    assert len(checked) == 3
    right = await client.post(
        "/staff/sign-in",
        data={"email": "sam@shop.example", "password": PASSWORD, "csrf_token": token},
    )
    assert right.status == 429
    assert (await client.get("/staff", allow_redirects=False)).status == 303
