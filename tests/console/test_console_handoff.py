"""Live handoff: an agent takes a waiting chat, the bot goes quiet, the agent talks, hands back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.chat.wording import BACK_TO_BOT_TEXT
from console.handoff.desk import HandoffDesk
from console.staff.accounts import StaffDirectory
from tests.console.chat_helpers import open_chat
from tests.console.conftest import FakeRasa
from tests.console.conversation_helpers import add_handoff, add_session
from tests.console.staff_helpers import add_account, csrf_of, sign_in
from tests.factories import add_customer

pytestmark = pytest.mark.asyncio
NOW = datetime(2024, 11, 24, 9, 0)


async def waiting_chat(client: TestClient, sessions: sessionmaker[Session]) -> tuple[int, str, Any]:
    """A customer with an open web chat who asked for a person."""
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna")
    sender_id, ws = await open_chat(client, anna)
    session_id = add_session(sessions, sender_id, NOW, customer_id=anna)
    return add_handoff(sessions, session_id, sender_id, NOW, anna), sender_id, ws


async def as_agent(client: TestClient, sessions: sessionmaker[Session], email: str) -> str:
    add_account(sessions, email, "agent", name=email.split("@")[0].title())
    await sign_in(client, email)
    return await csrf_of(client, "/staff/handoffs")


async def test_queue_lists_waiting_customers_with_their_open_chat(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    handoff, _, _ = await waiting_chat(client, sessions)
    await as_agent(client, sessions, "sam@shop.example")

    body = await (await client.get("/staff/handoffs")).text()

    assert f'data-handoff-id="{handoff}" data-status="waiting"' in body
    assert "Anna" in body and "wants a person" in body and "<td>yes</td>" in body


async def test_full_handoff_round_trip_between_agent_and_customer(
    client: TestClient, sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    handoff, sender_id, ws = await waiting_chat(client, sessions)
    token = await as_agent(client, sessions, "sam@shop.example")

    taken = await client.post(
        f"/staff/handoffs/{handoff}/take", data={"csrf_token": token}, allow_redirects=False
    )
    assert taken.status == 303 and taken.headers["Location"] == f"/staff/handoffs/{handoff}"
    joined = await ws.receive_json(timeout=5)
    assert joined["type"] == "agent"
    assert joined["messages"][0]["text"] == "Sam from customer service has joined the chat."

    await ws.send_json({"type": "message", "id": "c1", "text": "<b>my parcel</b> is lost"})
    assert await ws.receive_json(timeout=5) == {"type": "delivered", "reply_to": "c1"}
    assert fake_rasa.received == []
    polled = await (await client.get(f"/staff/handoffs/{handoff}/messages?after=0")).json()
    assert [(m["author"], m["text"]) for m in polled["messages"]] == [
        ("agent", "Sam from customer service has joined the chat."),
        ("customer", "<b>my parcel</b> is lost"),
    ]
    assert polled["status"] == "taken" and polled["connected"] is True

    sent = await client.post(
        f"/staff/handoffs/{handoff}/messages",
        json={"text": "I'll look into it now."},
        headers={"X-CSRF-Token": token},
    )
    assert (await sent.json())["delivered"] is True
    pushed = await ws.receive_json(timeout=5)
    assert pushed["messages"][0] == {
        "text": "I'll look into it now.",
        "name": "Sam",
        "buttons": [],
        "image": None,
        "custom": None,
    }

    back = await client.post(
        f"/staff/handoffs/{handoff}/hand-back", data={"csrf_token": token}, allow_redirects=False
    )
    assert back.status == 303
    assert (await ws.receive_json(timeout=5))["messages"][0]["text"] == BACK_TO_BOT_TEXT
    await ws.send_json({"type": "message", "id": "c2", "text": "thanks!"})
    reply = await ws.receive_json(timeout=5)
    assert reply["type"] == "bot" and fake_rasa.received[0]["message"] == "thanks!"

    assert HandoffDesk(sessions).get(handoff).status == "closed"
    actions = [e.action for e in StaffDirectory(sessions).audit_log()]
    assert actions[:2] == ["handoff_closed", "handoff_taken"]


async def test_live_page_shows_hostile_customer_text_as_text(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    handoff, _, ws = await waiting_chat(client, sessions)
    token = await as_agent(client, sessions, "sam@shop.example")
    await client.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": token})
    await ws.receive_json(timeout=5)
    await ws.send_json({"type": "message", "id": "c1", "text": "<script>alert(1)</script>"})
    await ws.receive_json(timeout=5)

    body = await (await client.get(f"/staff/handoffs/{handoff}")).text()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


async def test_second_agent_cannot_take_or_answer_a_taken_chat(
    client: TestClient, aiohttp_client: Any, sessions: sessionmaker[Session]
) -> None:
    handoff, _, ws = await waiting_chat(client, sessions)
    token = await as_agent(client, sessions, "sam@shop.example")
    await client.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": token})
    other = await aiohttp_client(client.app)
    other_token = await as_agent(other, sessions, "kim@shop.example")

    again = await other.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": other_token})
    answer = await other.post(
        f"/staff/handoffs/{handoff}/messages",
        json={"text": "hi"},
        headers={"X-CSRF-Token": other_token},
    )
    back = await other.post(
        f"/staff/handoffs/{handoff}/hand-back", data={"csrf_token": other_token}
    )

    assert again.status == 409
    assert "sam@shop.example has already taken this conversation." in await again.text()
    assert answer.status == 409
    assert (await answer.json())[
        "error"
    ] == "This conversation is held by sam@shop.example, not by you."
    assert back.status == 409
    assert HandoffDesk(sessions).get(handoff).status == "taken"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"text": "   "}, "Type a message before sending."),
        ({"text": "x" * 2001}, "at most 2000 characters"),
        ({"nope": 1}, "Type a message before sending."),
    ],
)
async def test_blank_or_oversized_agent_replies_are_refused(
    client: TestClient, sessions: sessionmaker[Session], body: dict[str, Any], message: str
) -> None:
    handoff, _, _ = await waiting_chat(client, sessions)
    token = await as_agent(client, sessions, "sam@shop.example")
    await client.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": token})

    response = await client.post(
        f"/staff/handoffs/{handoff}/messages", json=body, headers={"X-CSRF-Token": token}
    )

    assert response.status == 400 and message in (await response.json())["error"]


async def test_reply_without_csrf_header_is_refused(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    handoff, _, _ = await waiting_chat(client, sessions)
    token = await as_agent(client, sessions, "sam@shop.example")
    await client.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": token})

    response = await client.post(f"/staff/handoffs/{handoff}/messages", json={"text": "hi"})

    assert response.status == 403
    assert [m.author for m in HandoffDesk(sessions).messages(handoff)] == ["agent"]


async def test_marketer_cannot_take_a_handoff(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    handoff, _, _ = await waiting_chat(client, sessions)
    add_account(sessions, "mia@shop.example", "marketer")
    await sign_in(client, "mia@shop.example")
    token = await csrf_of(client, "/staff")

    response = await client.post(f"/staff/handoffs/{handoff}/take", data={"csrf_token": token})

    assert response.status == 403
    assert HandoffDesk(sessions).get(handoff).status == "waiting"


async def test_unknown_handoff_is_not_found(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_agent(client, sessions, "sam@shop.example")

    assert (await client.get("/staff/handoffs/777")).status == 404
    taken = await client.post("/staff/handoffs/777/take", data={"csrf_token": token})
    assert taken.status == 404
