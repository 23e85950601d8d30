"""Two console instances sharing one Redis behave as one console.

A and B are separate aiohttp applications (each its own hub, throttle, limiter and
session store objects) on separate test servers; only Redis and the shop database join
them, as behind a load balancer.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from console.chat.identity import sign_hmac_identity
from console.keys import chat_hub_key
from console.models import StaffSession
from console.shared.chat_fanout import RedisChatFanout
from console.shared.redis_client import async_client
from store.models import Identity
from tests.console.chat_helpers import open_chat, start_chat
from tests.console.conftest import IDENTITY_SECRET, FakeRasa
from tests.console.conversation_helpers import add_handoff, add_session
from tests.console.shared.conftest import Cluster
from tests.console.staff_helpers import PASSWORD, add_account, csrf_of, sign_in
from tests.factories import add_customer

pytestmark = [pytest.mark.engines, pytest.mark.asyncio]


async def test_an_agent_message_pushed_on_a_reaches_the_socket_on_b(cluster: Cluster) -> None:
    sender_id, ws_on_b = await open_chat(cluster.b)

    delivered = await cluster.a.app[chat_hub_key].push_to_customer(
        sender_id, {"text": "Hi, Sam here.", "name": "Sam"}
    )

    frame = await ws_on_b.receive_json(timeout=5)
    assert delivered is True
    assert frame["type"] == "agent" and frame["messages"][0]["text"] == "Hi, Sam here."


async def test_every_tab_on_either_instance_gets_the_message_once(cluster: Cluster) -> None:
    sender_id, tab_on_b = await open_chat(cluster.b)
    cluster.a.session.cookie_jar.update_cookies(
        cluster.b.session.cookie_jar.filter_cookies(cluster.b.make_url("/"))
    )
    tab_on_a = await cluster.a.ws_connect("/ws/chat")
    assert (await tab_on_a.receive_json(timeout=5))["type"] == "ready"

    assert await cluster.a.app[chat_hub_key].push_to_customer(sender_id, "one message")

    for tab in (tab_on_a, tab_on_b):
        assert (await tab.receive_json(timeout=5))["messages"][0]["text"] == "one message"
        with pytest.raises(TimeoutError):
            await tab.receive_json(timeout=0.3)


async def test_a_push_for_a_customer_nobody_holds_is_not_delivered(cluster: Cluster) -> None:
    started = asyncio.get_running_loop().time()

    assert await cluster.a.app[chat_hub_key].push_to_customer("web-nobody", "hello?") is False
    # Presence says nobody holds it: no waiting for acknowledgements that cannot come.
    assert asyncio.get_running_loop().time() - started < 0.5


async def test_a_sees_who_is_connected_on_b_until_the_socket_closes(cluster: Cluster) -> None:
    sender_id, ws_on_b = await open_chat(cluster.b)
    hub_a = cluster.a.app[chat_hub_key]

    assert await hub_a.connected_anywhere([sender_id, "web-nobody"]) == {sender_id}
    assert hub_a.is_connected(sender_id) is False  # not on A itself

    await ws_on_b.close()
    for _ in range(100):
        if not await hub_a.connected_anywhere([sender_id]):
            break
        await asyncio.sleep(0.02)
    assert await hub_a.connected_anywhere([sender_id]) == set()
    assert await hub_a.push_to_customer(sender_id, "still there?") is False


async def test_handoff_taken_on_a_talks_to_the_customer_on_b(
    cluster: Cluster, sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna")
    sender_id, ws_on_b = await open_chat(cluster.b, anna)
    session_id = add_session(sessions, sender_id, _now(), customer_id=anna)
    handoff = add_handoff(sessions, session_id, sender_id, _now(), anna)
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(cluster.a, "sam@shop.example")
    token = await csrf_of(cluster.a, "/staff/handoffs")

    queue = await (await cluster.a.get("/staff/handoffs")).text()
    assert "<td>yes</td>" in queue  # the chat is open, on the other instance
    taken = await cluster.a.post(
        f"/staff/handoffs/{handoff}/take", data={"csrf_token": token}, allow_redirects=False
    )
    assert taken.status == 303
    joined = await ws_on_b.receive_json(timeout=5)
    assert joined["messages"][0]["text"] == "Sam from customer service has joined the chat."
    sent = await cluster.a.post(
        f"/staff/handoffs/{handoff}/messages",
        json={"text": "Let me look."},
        headers={"X-CSRF-Token": token},
    )
    assert (await sent.json())["delivered"] is True
    assert (await ws_on_b.receive_json(timeout=5))["messages"][0]["text"] == "Let me look."
    polled = await (await cluster.a.get(f"/staff/handoffs/{handoff}/messages")).json()
    assert polled["connected"] is True


async def test_failed_sign_ins_on_a_throttle_sign_ins_on_b(
    cluster: Cluster, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example", "agent")
    for _ in range(3):
        assert (await _sign_in(cluster.a, "sam@shop.example", "wrong")).status == 401

    refused = await _sign_in(cluster.b, "sam@shop.example", PASSWORD)

    assert refused.status == 429 and "Too many failed sign-ins" in await refused.text()


async def test_a_staff_session_started_on_a_is_valid_on_b_and_ended_there_for_both(
    cluster: Cluster, sessions: sessionmaker[Session], redis_url: str
) -> None:
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(cluster.a, "sam@shop.example")
    # Kept in Redis, not in the shop database both instances happen to share here.
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(StaffSession)) == 0
    with redis.Redis.from_url(redis_url) as client:
        assert client.keys("concierge:staff-session:*")
    cluster.b.session.cookie_jar.update_cookies(
        cluster.a.session.cookie_jar.filter_cookies(cluster.a.make_url("/"))
    )

    on_b = await cluster.b.get("/staff/handoffs", allow_redirects=False)
    assert on_b.status == 200
    token = await csrf_of(cluster.b, "/staff/handoffs")
    signed_out = await cluster.b.post(
        "/staff/sign-out", data={"csrf_token": token}, allow_redirects=False
    )
    assert signed_out.status == 303

    on_a = await cluster.a.get("/staff/handoffs", allow_redirects=False)
    assert on_a.status == 303 and on_a.headers["Location"].startswith("/staff/sign-in")


async def test_chat_starts_on_both_instances_count_against_one_limit(cluster: Cluster) -> None:
    statuses = [
        (await start_chat(cluster.a if i % 2 else cluster.b, guest="1")).status for i in range(11)
    ]

    assert statuses == [303] * 10 + [429]


async def test_an_identity_token_used_on_a_is_a_replay_on_b(
    cluster: Cluster, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, external_ref="A-1")
    token = sign_hmac_identity(IDENTITY_SECRET, "A-1")

    await start_chat(cluster.a, identity=token)
    await start_chat(cluster.b, identity=token)

    with sessions() as s:
        linked = s.scalars(select(Identity.customer_id)).all()
    assert linked == [anna]


async def test_a_killed_instances_presence_runs_out(redis_url: str) -> None:
    dead = RedisChatFanout(async_client(redis_url), "dead", presence_ttl_seconds=0.5)
    alive = RedisChatFanout(async_client(redis_url), "alive", presence_ttl_seconds=0.5)
    try:
        await dead.arrived("web-anna")
        assert (await alive.holders(["web-anna"]))["web-anna"] == {"dead"}

        # A killed process never says it left, and stops refreshing: the TTL decides.
        await asyncio.sleep(0.7)

        assert (await alive.holders(["web-anna"]))["web-anna"] == set()
    finally:
        await dead.stop()
        await alive.stop()


async def _sign_in(client: Any, email: str, password: str) -> Any:
    token = await csrf_of(client)
    return await client.post(
        "/staff/sign-in",
        data={"email": email, "password": password, "csrf_token": token, "next": "/staff"},
        allow_redirects=False,
    )


def _now() -> datetime:
    return datetime(2024, 11, 24, 9, 0)
