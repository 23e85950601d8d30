"""Starting a chat: fresh sender ids, links only on a signed identity, CSRF, rate limit."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from yarl import URL

from concierge.settings import Settings
from console.app import create_app
from console.chat.identity import sign_hmac_identity, sign_jwt_identity
from console.chat.socket import CLOSE_CHAT_EXPIRED
from console.chat.start_guard import STARTS_PER_WINDOW
from console.signed_cookie import CHAT_COOKIE
from store.models import Identity
from tests.console.chat_helpers import chat_form, sender_id_of, start_chat
from tests.console.conftest import COOKIE_SECRET, IDENTITY_SECRET
from tests.factories import add_customer

pytestmark = pytest.mark.asyncio


def identities(sessions: sessionmaker[Session]) -> list[tuple[str, str, int, str | None]]:
    with sessions() as s:
        rows = s.execute(
            select(
                Identity.channel,
                Identity.channel_user_id,
                Identity.customer_id,
                Identity.external_id,
            )
        )
        return [(channel, user, customer, ext) for channel, user, customer, ext in rows]


async def test_demo_picker_links_a_fresh_web_sender_id_through_a_signed_identity(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna", external_ref="A-1")

    response = await start_chat(client, customer_id=str(anna))

    assert response.status == 303 and response.headers["Location"] == "/chat"
    sender_id = sender_id_of(response)
    assert sender_id.startswith("web-") and len(sender_id) > 20
    # The link records the shop id the (minted) identity was signed for: the real path.
    assert identities(sessions) == [("web", sender_id, anna, "A-1")]
    cookie = response.cookies[CHAT_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.parametrize("sign", [sign_hmac_identity, sign_jwt_identity])
async def test_shop_signed_identity_links_the_chat_to_that_customer(
    client: TestClient, sessions: sessionmaker[Session], sign: Any
) -> None:
    anna = add_customer(sessions, external_ref="A-1")

    response = await start_chat(client, identity=sign(IDENTITY_SECRET, "A-1"))

    assert identities(sessions) == [("web", sender_id_of(response), anna, "A-1")]


async def test_identity_signed_with_another_secret_is_a_guest_with_the_reason_logged(
    client: TestClient, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    add_customer(sessions, email="anna@example.com", external_ref="A-1")
    caplog.set_level(logging.INFO, logger="console.chat.pages")

    response = await start_chat(client, identity=sign_hmac_identity("guessed-secret", "A-1"))
    page = await (await client.get("/chat")).text()

    assert response.status == 303 and identities(sessions) == []
    assert "Chatting as <strong>guest</strong>" in page
    assert "bad_signature" not in page
    assert f"chat {sender_id_of(response)} starts as a guest: identity bad_signature" in caplog.text
    assert "anna@example.com" not in caplog.text


async def test_replayed_identity_links_only_the_first_chat(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, external_ref="A-1")
    token = sign_hmac_identity(IDENTITY_SECRET, "A-1")

    first = await start_chat(client, identity=token)
    second = await start_chat(client, identity=token)

    assert identities(sessions) == [("web", sender_id_of(first), anna, "A-1")]
    assert sender_id_of(second) != sender_id_of(first)


async def test_guest_chat_gets_a_sender_id_but_no_identity(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    response = await start_chat(client, guest="1")

    assert response.status == 303
    assert sender_id_of(response).startswith("web-")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Identity)) == 0


async def test_every_chat_start_issues_a_new_sender_id(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions)

    first = await start_chat(client, customer_id=str(anna))
    second = await start_chat(client, customer_id=str(anna))

    assert sender_id_of(first) != sender_id_of(second)
    assert len(identities(sessions)) == 2


async def test_unknown_customer_id_is_refused_with_a_message(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    response = await start_chat(client, customer_id="9999")

    assert response.status == 400
    assert "There is no customer with id 9999" in await response.text()
    assert CHAT_COOKIE not in response.cookies
    assert identities(sessions) == []


async def test_missing_or_malformed_customer_id_is_refused_with_a_message(
    client: TestClient,
) -> None:
    for fields in ({}, {"customer_id": "abc"}, {"customer_id": "-3"}):
        response = await start_chat(client, **fields)
        assert response.status == 400
        assert "Choose a customer from the list" in await response.text()


async def test_chat_start_without_the_pages_csrf_token_is_refused(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions)
    form = await chat_form(client, customer_id=str(anna))

    missing = await client.post(
        "/chat/start", data={"customer_id": str(anna)}, allow_redirects=False
    )
    wrong = await client.post("/chat/start", data={**form, "csrf": "x" * 43}, allow_redirects=False)
    foreign = await client.post(
        "/chat/start",
        data=form,
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )

    for response in (missing, wrong, foreign):
        assert response.status == 403
        assert CHAT_COOKIE not in response.cookies
    assert identities(sessions) == []


async def test_one_address_starting_chats_too_fast_is_slowed_down(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    form = await chat_form(client, guest="1")
    statuses = [
        (await client.post("/chat/start", data=form, allow_redirects=False)).status
        for _ in range(STARTS_PER_WINDOW + 2)
    ]

    assert statuses[:STARTS_PER_WINDOW] == [303] * STARTS_PER_WINDOW
    assert statuses[STARTS_PER_WINDOW:] == [429, 429]


async def test_chat_page_greets_the_signed_in_customer(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="<b>Anna</b>")

    response = await client.post("/chat/start", data=await chat_form(client, customer_id=str(anna)))
    html = await response.text()

    assert response.status == 200 and str(response.url.path) == "/chat"
    assert "Signed in as <strong>&lt;b&gt;Anna&lt;/b&gt;</strong>" in html
    for testid in ("message-list", "message-input", "send-button", "typing-indicator"):
        assert f'data-testid="{testid}"' in html


async def test_chat_page_of_a_guest_says_guest(client: TestClient) -> None:
    html = await (await client.post("/chat/start", data=await chat_form(client, guest="1"))).text()

    assert "Chatting as <strong>guest</strong>" in html


async def test_chat_page_without_a_chat_cookie_sends_you_to_the_front_page(
    client: TestClient,
) -> None:
    response = await client.get("/chat", allow_redirects=False)

    assert response.status == 303 and response.headers["Location"] == "/?expired=1"
    front = await (await client.get("/?expired=1")).text()
    assert "Your chat has ended" in front


async def test_edited_chat_cookie_cannot_claim_another_sender_id(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions)
    victim = await start_chat(client, customer_id=str(anna))
    attacker = await start_chat(client, guest="1")
    _, expires, mac = attacker.cookies[CHAT_COOKIE].value.split(".")
    forged = f"{sender_id_of(victim)}.{expires}.{mac}"
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies(
        {CHAT_COOKIE: forged}, response_url=URL(str(client.make_url("/")))
    )

    page = await client.get("/chat", allow_redirects=False)
    ws = await client.ws_connect("/ws/chat")
    closing = await ws.receive(timeout=5)

    assert page.status == 303 and page.headers["Location"] == "/?expired=1"
    assert closing.type == WSMsgType.CLOSE and closing.data == CLOSE_CHAT_EXPIRED


async def test_without_demo_mode_there_is_no_picker_and_no_customer_data(
    aiohttp_client: Any, settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna", last_name="Smith")
    shop = await aiohttp_client(
        create_app(replace(settings, demo=False), cookie_secret=COOKIE_SECRET)
    )

    front = await (await shop.get("/", params={"q": "anna"})).text()
    picked = await start_chat(shop, customer_id=str(anna))

    assert "Anna" not in front and "anna@example.com" not in front
    assert 'name="customer_id"' not in front and 'data-testid="guest-start"' in front
    # Outside demo mode a customer id is no proof: the chat is a guest's.
    assert picked.status == 303 and identities(sessions) == []
