"""The client's address behind a load balancer: X-Forwarded-For, only from trusted proxies.

Behind nginx every request arrives from 127.0.0.1. Counting that address would let one
visitor's flood of chat starts or password guesses lock out every other visitor, and
believing the header from anyone would let a client escape every per-address limit by
writing a new address into it each time.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from console.chat.start_guard import STARTS_PER_WINDOW
from console.shared.middleware import forwarded_client
from tests.console.chat_helpers import chat_form
from tests.console.conftest import COOKIE_SECRET
from tests.console.staff_helpers import add_account, csrf_of

pytestmark = pytest.mark.asyncio
PROXY = frozenset({"127.0.0.1"})


@pytest.mark.parametrize(
    ("remote", "headers", "expected"),
    [
        ("127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
        # What the client wrote comes first; the proxy appended what it saw.
        ("127.0.0.1", ["6.6.6.6, 203.0.113.7"], "203.0.113.7"),
        ("127.0.0.1", ["6.6.6.6", "203.0.113.7"], "203.0.113.7"),
        # A chain of our own proxies is skipped from the right.
        ("127.0.0.1", ["203.0.113.7, 127.0.0.1"], "203.0.113.7"),
        # Garbage where the proxy's hop should be: trust nothing to its left.
        ("127.0.0.1", ["203.0.113.7, not-an-address"], "127.0.0.1"),
        ("127.0.0.1", [], "127.0.0.1"),
        # From a peer that is no proxy of ours the header is ignored.
        ("198.51.100.4", ["203.0.113.7"], "198.51.100.4"),
    ],
)
def test_forwarded_client(remote: str, headers: list[str], expected: str) -> None:
    assert forwarded_client(remote, headers, PROXY) == expected


async def console(aiohttp_client: Any, settings: Settings, *proxies: str) -> TestClient:
    app = create_app(replace(settings, trusted_proxies=proxies), cookie_secret=COOKIE_SECRET)
    return await aiohttp_client(app)


async def start_as(client: TestClient, address: str) -> int:
    form = await chat_form(client, guest="1")
    headers = {"X-Forwarded-For": address}
    response = await client.post("/chat/start", data=form, headers=headers, allow_redirects=False)
    return response.status


async def test_behind_a_trusted_proxy_one_visitors_flood_does_not_lock_out_another(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await console(aiohttp_client, settings, "127.0.0.1")

    flood = [await start_as(client, "203.0.113.7") for _ in range(STARTS_PER_WINDOW + 1)]

    assert flood == [303] * STARTS_PER_WINDOW + [429]
    assert await start_as(client, "198.51.100.23") == 303


async def test_a_forged_header_from_an_untrusted_peer_is_ignored(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await console(aiohttp_client, settings, "10.9.9.9")  # we are not that proxy

    statuses = [await start_as(client, f"203.0.113.{i}") for i in range(STARTS_PER_WINDOW + 1)]

    assert statuses == [303] * STARTS_PER_WINDOW + [429]


async def test_addresses_a_client_writes_before_the_proxys_hop_are_ignored(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await console(aiohttp_client, settings, "127.0.0.1")

    statuses = [
        await start_as(client, f"6.6.6.{i}, 203.0.113.7") for i in range(STARTS_PER_WINDOW + 1)
    ]

    assert statuses[-1] == 429


async def test_sign_in_throttle_counts_the_forwarded_address(
    aiohttp_client: Any, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example", "agent")
    client = await console(aiohttp_client, settings, "127.0.0.1")

    async def attempt(email: str, address: str) -> int:
        token = await csrf_of(client)
        response = await client.post(
            "/staff/sign-in",
            data={"email": email, "password": "wrong", "csrf_token": token},
            headers={"X-Forwarded-For": address},
            allow_redirects=False,
        )
        return response.status

    guesses = [await attempt(f"guess{i}@shop.example", "203.0.113.7") for i in range(4)]

    assert guesses == [401, 401, 401, 429]  # the guesser's address is throttled...
    assert await attempt("kim@shop.example", "198.51.100.23") == 401  # ...not everyone's
