"""Attacks on who a chat belongs to, against the real console, Rasa and action server.

The attacker reaches the public console (loopback here) and knows Anna's order number and
store id. Without an identity the shop's server signed for her, each attempt must end as
a guest's chat: no identity row for the attacker's sender id, and none of Anna's order
(its carrier or tracking number) in anything the assistant says. One test is the control:
Anna herself, with a fresh token, does get her order, so the others can fail.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import select

from concierge.stack import Stack
from console.chat.identity import sign_hmac_identity, sign_jwt_identity
from console.chat.start_guard import CSRF_COOKIE
from console.signed_cookie import CHAT_COOKIE
from store.db import make_engine, make_session_factory
from store.models import Customer, Identity
from store.repository import ShopRepository
from tests.support.shop import Shop

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


@pytest.fixture(scope="module")
def stack(full_stack: tuple[Stack, Shop]) -> Stack:
    return full_stack[0]


@pytest.fixture(scope="module")
def shop(full_stack: tuple[Stack, Shop]) -> Shop:
    return full_stack[1]


@pytest.fixture(scope="module")
def anna(stack: Stack, shop: Shop) -> dict[str, str]:
    """Anna's shop id, her shipped order's number and its tracking number."""
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    with sessions() as s:
        external_ref = s.scalar(select(Customer.external_ref).where(Customer.id == shop.anna_id))
    order = ShopRepository(sessions).find_order_for(
        shop.anna_shipped.number, customer_id=shop.anna_id, email=None
    )
    sessions.kw["bind"].dispose()
    assert external_ref and order is not None
    return {
        "external_ref": external_ref,
        "number": order.number,
        "tracking": order.shipments[0].tracking_number,
    }


@pytest_asyncio.fixture
async def browser(stack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    """A fresh cookie jar: one visitor's browser."""
    async with aiohttp.ClientSession(
        base_url=stack.settings.console_url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


async def start(browser: aiohttp.ClientSession, **fields: str) -> aiohttp.ClientResponse:
    """The front page's chat form, as a browser on the console's page submits it."""
    await (await browser.get("/")).read()
    csrf = cookie(browser, CSRF_COOKIE)
    return await browser.post("/chat/start", data={"csrf": csrf, **fields}, allow_redirects=False)


async def ask(browser: aiohttp.ClientSession, text: str) -> str:
    """Send one message on the chat's socket; the assistant's answer as text."""
    async with browser.ws_connect("/ws/chat") as ws:
        assert (await ws.receive_json(timeout=30)) == {"type": "ready"}
        await ws.send_json({"type": "message", "id": "m1", "text": text})
        frame: dict[str, Any] = await ws.receive_json(timeout=120)
    assert frame["type"] == "bot", frame
    return "\n".join(m.get("text") or "" for m in frame["messages"])


def cookie(browser: aiohttp.ClientSession, name: str) -> str:
    values = [c.value for c in browser.cookie_jar if c.key == name]
    assert values, f"no {name} cookie"
    return values[0]


def sender_of(browser: aiohttp.ClientSession) -> str:
    return cookie(browser, CHAT_COOKIE).split(".")[0]


def linked_customer(stack: Stack, sender_id: str) -> int | None:
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    try:
        with sessions() as s:
            return s.scalar(
                select(Identity.customer_id).where(Identity.channel_user_id == sender_id)
            )
    finally:
        sessions.kw["bind"].dispose()


async def attacker_gets_nothing(
    browser: aiohttp.ClientSession, stack: Stack, anna: dict[str, str]
) -> None:
    reply = await ask(browser, f"where is my order {anna['number']}")
    assert anna["tracking"] not in reply and "DPD" not in reply
    assert linked_customer(stack, sender_of(browser)) is None


async def test_control_anna_with_a_fresh_token_gets_her_order(
    browser: aiohttp.ClientSession, stack: Stack, shop: Shop, anna: dict[str, str]
) -> None:
    token = sign_jwt_identity(stack.settings.identity_secret, anna["external_ref"])

    assert (await start(browser, identity=token)).status == 303
    reply = await ask(browser, f"where is my order {anna['number']}")

    assert anna["tracking"] in reply
    assert linked_customer(stack, sender_of(browser)) == shop.anna_id


async def test_a_customer_id_without_a_token_is_a_guest(
    browser: aiohttp.ClientSession, stack: Stack, shop: Shop, anna: dict[str, str]
) -> None:
    assert not stack.settings.demo  # the picker is for demo mode only
    assert (await start(browser, customer_id=str(shop.anna_id))).status == 303

    await attacker_gets_nothing(browser, stack, anna)


@pytest.mark.parametrize("sign", [sign_hmac_identity, sign_jwt_identity])
async def test_a_token_forged_with_a_guessed_secret_is_a_guest(
    browser: aiohttp.ClientSession, stack: Stack, anna: dict[str, str], sign: Any
) -> None:
    forged = sign("guessed-secret-of-the-shop-0123456789", anna["external_ref"])
    assert (await start(browser, identity=forged)).status == 303

    await attacker_gets_nothing(browser, stack, anna)


@pytest.mark.parametrize("sign", [sign_hmac_identity, sign_jwt_identity])
async def test_an_expired_token_is_a_guest(
    browser: aiohttp.ClientSession, stack: Stack, anna: dict[str, str], sign: Any
) -> None:
    old = sign(
        stack.settings.identity_secret,
        anna["external_ref"],
        lifetime_seconds=300,
        now=time.time() - 3600,
    )
    assert (await start(browser, identity=old)).status == 303

    await attacker_gets_nothing(browser, stack, anna)


async def test_a_replayed_token_is_a_guest(stack: Stack, shop: Shop, anna: dict[str, str]) -> None:
    token = sign_hmac_identity(stack.settings.identity_secret, anna["external_ref"])
    url = stack.settings.console_url
    async with (
        aiohttp.ClientSession(base_url=url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as customer,
        aiohttp.ClientSession(base_url=url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as attacker,
    ):
        await start(customer, identity=token)
        await start(attacker, identity=token)  # copied from her page, or her proxy's log

        assert linked_customer(stack, sender_of(customer)) == shop.anna_id
        await attacker_gets_nothing(attacker, stack, anna)


async def test_another_sites_form_cannot_start_a_chat_in_the_visitors_browser(
    browser: aiohttp.ClientSession, stack: Stack, anna: dict[str, str]
) -> None:
    token = sign_hmac_identity(stack.settings.identity_secret, anna["external_ref"])
    await (await browser.get("/")).read()  # the visitor has the console's CSRF cookie

    no_token = await browser.post("/chat/start", data={"identity": token}, allow_redirects=False)
    csrf = cookie(browser, CSRF_COOKIE)
    other_site = await browser.post(
        "/chat/start",
        data={"identity": token, "csrf": csrf},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    widget = await browser.post(
        "/widget/session",
        json={"identity": token},
        headers={"Origin": "https://evil.example", "X-Concierge-Widget": "1"},
    )

    for response in (no_token, other_site, widget):
        assert response.status == 403
        assert CHAT_COOKIE not in response.cookies and "ticket" not in await response.text()
