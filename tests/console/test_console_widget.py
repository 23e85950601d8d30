"""The embeddable widget: its script, the framed page, and the chat it starts by ticket."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from console.chat.identity import sign_jwt_identity
from console.chat.socket import CHAT_PROTOCOL
from store.models import Identity
from tests.console.conftest import COOKIE_SECRET, IDENTITY_SECRET, FakeRasa
from tests.factories import add_customer

pytestmark = pytest.mark.asyncio
SHOP = "https://shop.example"
WIDGET = {"X-Concierge-Widget": "1"}


@pytest.fixture
async def shop_client(aiohttp_client: Any, settings: Settings) -> TestClient:
    app = create_app(
        replace(settings, demo=False, allowed_origins=(SHOP,)),
        cookie_secret=COOKIE_SECRET,
        rasa_timeout_seconds=2.0,
    )
    return await aiohttp_client(app)


def own_origin(client: TestClient) -> dict[str, str]:
    return {"Origin": str(client.make_url("/")).rstrip("/"), **WIDGET}


async def test_widget_script_is_served_as_javascript(shop_client: TestClient) -> None:
    response = await shop_client.get("/widget.js")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert "concierge:identity" in await response.text()


async def test_only_the_trusted_shop_pages_may_frame_the_widget(shop_client: TestClient) -> None:
    widget = await shop_client.get("/widget")
    front = await shop_client.get("/")

    assert f"frame-ancestors 'self' {SHOP};" in widget.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in front.headers["Content-Security-Policy"]
    assert f'data-parent-origins="{SHOP}"' in await widget.text()


async def test_widget_session_links_the_signed_customer_and_its_ticket_opens_the_chat(
    shop_client: TestClient, sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    anna = add_customer(sessions, first_name="Anna", external_ref="A-1")

    response = await shop_client.post(
        "/widget/session",
        json={"identity": sign_jwt_identity(IDENTITY_SECRET, "A-1")},
        headers=own_origin(shop_client),
    )
    answer = await response.json()
    ws = await shop_client.ws_connect(
        "/ws/chat", protocols=(CHAT_PROTOCOL, f"ticket.{answer['ticket']}")
    )
    ready = await ws.receive_json(timeout=5)
    await ws.send_json({"type": "message", "id": "c1", "text": "hello"})
    reply = await ws.receive_json(timeout=5)
    await ws.close()

    sender_id = answer["ticket"].split(".")[0]
    assert response.status == 200 and answer["customer"] == {"name": "Anna"}
    assert ready == {"type": "ready"} and ws.protocol == CHAT_PROTOCOL
    assert reply["type"] == "bot" and fake_rasa.received[-1]["sender"] == sender_id
    with sessions() as s:
        assert (
            s.scalar(select(Identity.customer_id).where(Identity.channel_user_id == sender_id))
            == anna
        )


async def test_widget_session_without_an_identity_is_a_guest(
    shop_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    response = await shop_client.post(
        "/widget/session", json={"identity": None}, headers=own_origin(shop_client)
    )

    assert response.status == 200 and (await response.json())["customer"] is None
    with sessions() as s:
        assert s.scalars(select(Identity)).all() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", **WIDGET},  # another site's script
        {"Origin": SHOP},  # a cross-site form: it cannot add the widget header
        WIDGET,  # no Origin: not the widget's frame
    ],
)
async def test_widget_session_refuses_other_sites_and_forms(
    shop_client: TestClient, headers: dict[str, str]
) -> None:
    response = await shop_client.post("/widget/session", json={"identity": None}, headers=headers)

    assert response.status == 403 and "ticket" not in await response.text()


async def test_chat_socket_refuses_a_page_of_an_untrusted_origin_but_not_a_trusted_shop(
    shop_client: TestClient,
) -> None:
    answer = await (
        await shop_client.post("/widget/session", json={}, headers=own_origin(shop_client))
    ).json()
    protocols = (CHAT_PROTOCOL, f"ticket.{answer['ticket']}")

    refused = await shop_client.get(
        "/ws/chat",
        headers={
            "Origin": "https://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    trusted = await shop_client.ws_connect("/ws/chat", protocols=protocols, origin=SHOP)

    assert refused.status == 403
    assert await trusted.receive_json(timeout=5) == {"type": "ready"}
    await trusted.close()
