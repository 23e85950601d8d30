"""Starting a chat: fresh sender ids, identity links, and the signed chat cookie."""

from __future__ import annotations

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from yarl import URL

from console.chat.socket import CLOSE_CHAT_EXPIRED
from console.signed_cookie import CHAT_COOKIE
from store.models import Identity
from tests.console.chat_helpers import sender_id_of
from tests.factories import add_customer

pytestmark = pytest.mark.asyncio


def identities(sessions: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    with sessions() as s:
        rows = s.execute(select(Identity.channel, Identity.channel_user_id, Identity.customer_id))
        return [tuple(row) for row in rows]


async def test_chat_as_customer_links_a_fresh_web_sender_id_to_them(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna")

    response = await client.post(
        "/chat/start", data={"customer_id": str(anna)}, allow_redirects=False
    )

    assert response.status == 303 and response.headers["Location"] == "/chat"
    sender_id = sender_id_of(response)
    assert sender_id.startswith("web-") and len(sender_id) > 20
    assert identities(sessions) == [("web", sender_id, anna)]
    cookie = response.cookies[CHAT_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


async def test_guest_chat_gets_a_sender_id_but_no_identity(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    response = await client.post("/chat/start", data={"guest": "1"}, allow_redirects=False)

    assert response.status == 303
    assert sender_id_of(response).startswith("web-")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Identity)) == 0


async def test_every_chat_start_issues_a_new_sender_id(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions)

    first = await client.post("/chat/start", data={"customer_id": str(anna)}, allow_redirects=False)
    second = await client.post(
        "/chat/start", data={"customer_id": str(anna)}, allow_redirects=False
    )

    assert sender_id_of(first) != sender_id_of(second)
    assert len(identities(sessions)) == 2


async def test_unknown_customer_id_is_refused_with_a_message(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    response = await client.post("/chat/start", data={"customer_id": "9999"}, allow_redirects=False)

    assert response.status == 400
    assert "There is no customer with id 9999" in await response.text()
    assert CHAT_COOKIE not in response.cookies
    assert identities(sessions) == []


async def test_missing_or_malformed_customer_id_is_refused_with_a_message(
    client: TestClient,
) -> None:
    for form in ({}, {"customer_id": "abc"}, {"customer_id": "-3"}):
        response = await client.post("/chat/start", data=form, allow_redirects=False)
        assert response.status == 400
        assert "Choose a customer from the list" in await response.text()


async def test_chat_page_greets_the_signed_in_customer(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="<b>Anna</b>")

    response = await client.post("/chat/start", data={"customer_id": str(anna)})
    html = await response.text()

    assert response.status == 200 and str(response.url.path) == "/chat"
    assert "Signed in as <strong>&lt;b&gt;Anna&lt;/b&gt;</strong>" in html
    for testid in ("message-list", "message-input", "send-button", "typing-indicator"):
        assert f'data-testid="{testid}"' in html


async def test_chat_page_of_a_guest_says_guest(client: TestClient) -> None:
    html = await (await client.post("/chat/start", data={"guest": "1"})).text()

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
    victim = await client.post(
        "/chat/start", data={"customer_id": str(anna)}, allow_redirects=False
    )
    attacker = await client.post("/chat/start", data={"guest": "1"}, allow_redirects=False)
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
