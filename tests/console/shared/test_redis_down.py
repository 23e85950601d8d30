"""What the consoles do when Redis stops, tested by stopping a real redis-server.

Decided (see console/shared/limits.py and staff_sessions.py for why):
- customers keep chatting with the bot (the relay never needs Redis), and new chats still
  start (the start limit falls back to each instance's own count);
- an agent's push reaches a socket on the same instance; one that needs another instance
  fails loudly to the agent, and the message stays in the handoff record;
- staff sign-in is refused with "try again shortly" (the throttle fails closed), a staff
  session seen live just before stays honoured for a short grace;
- a shop-signed identity cannot be checked for replay, so the chat starts as a guest;
- when Redis is back, everything is shared again without restarting a console.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from concierge.engines import RedisServer
from console.chat.identity import sign_hmac_identity
from console.handoff.desk import HandoffDesk
from console.keys import chat_hub_key
from console.shared.errors import PushUnavailable
from store.models import Identity
from tests.console.chat_helpers import open_chat, start_chat
from tests.console.conftest import IDENTITY_SECRET, FakeRasa
from tests.console.conversation_helpers import add_handoff, add_session
from tests.console.shared.conftest import Cluster, shared_settings, two_consoles
from tests.console.staff_helpers import PASSWORD, add_account, csrf_of, sign_in
from tests.factories import add_customer

pytestmark = [pytest.mark.engines, pytest.mark.asyncio]
NOW = datetime(2024, 11, 24, 9, 0)


@pytest.fixture
async def down_cluster(
    aiohttp_client: Any,
    tmp_path: Path,
    sessions: sessionmaker[Session],
    fake_rasa: FakeRasa,
    own_redis: RedisServer,
) -> Cluster:
    return await two_consoles(aiohttp_client, shared_settings(tmp_path, fake_rasa, own_redis.url))


async def test_customers_keep_chatting_and_starting_chats_while_redis_is_down(
    down_cluster: Cluster, own_redis: RedisServer
) -> None:
    _, ws = await open_chat(down_cluster.b)
    own_redis.stop()

    await ws.send_json({"type": "message", "id": "m1", "text": "where is my parcel"})
    reply = await ws.receive_json(timeout=5)
    assert reply["type"] == "bot" and reply["messages"][0]["text"] == "you said: where is my parcel"
    _, new_ws = await open_chat(down_cluster.a)  # start limit falls back, socket opens
    await new_ws.send_json({"type": "message", "id": "m2", "text": "hello"})
    assert (await new_ws.receive_json(timeout=5))["type"] == "bot"


async def test_a_push_to_a_socket_on_the_same_instance_still_works(
    down_cluster: Cluster, own_redis: RedisServer
) -> None:
    sender_id, ws_on_a = await open_chat(down_cluster.a)
    own_redis.stop()

    assert await down_cluster.a.app[chat_hub_key].push_to_customer(sender_id, "still here")
    assert (await ws_on_a.receive_json(timeout=5))["messages"][0]["text"] == "still here"


async def test_a_push_needing_another_instance_fails_loudly(
    down_cluster: Cluster, own_redis: RedisServer
) -> None:
    sender_id, _ = await open_chat(down_cluster.b)
    own_redis.stop()

    with pytest.raises(PushUnavailable, match="Try again shortly"):
        await down_cluster.a.app[chat_hub_key].push_to_customer(sender_id, "are you there?")


async def test_the_agent_is_told_and_the_reply_is_kept_in_the_handoff(
    down_cluster: Cluster, own_redis: RedisServer, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna")
    sender_id, ws_on_b = await open_chat(down_cluster.b, anna)
    session_id = add_session(sessions, sender_id, NOW, customer_id=anna)
    handoff = add_handoff(sessions, session_id, sender_id, NOW, anna)
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(down_cluster.a, "sam@shop.example")
    token = await csrf_of(down_cluster.a, "/staff/handoffs")
    taken = await down_cluster.a.post(
        f"/staff/handoffs/{handoff}/take", data={"csrf_token": token}, allow_redirects=False
    )
    assert taken.status == 303
    await ws_on_b.receive_json(timeout=5)  # "Sam has joined"

    own_redis.stop()
    sent = await down_cluster.a.post(
        f"/staff/handoffs/{handoff}/messages",
        json={"text": "Found your parcel."},
        headers={"X-CSRF-Token": token},
    )

    body = await sent.json()
    assert sent.status == 503
    assert "could not be sent" in body["error"] and body["message"]["text"] == "Found your parcel."
    kept = HandoffDesk(sessions).messages(handoff)
    assert [m.text for m in kept][-1] == "Found your parcel."
    with pytest.raises(TimeoutError):
        await ws_on_b.receive_json(timeout=0.3)


async def test_staff_sign_in_is_refused_with_advice_while_redis_is_down(
    down_cluster: Cluster, own_redis: RedisServer, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example", "agent")
    token = await csrf_of(down_cluster.a)
    own_redis.stop()

    refused = await down_cluster.a.post(
        "/staff/sign-in",
        data={"email": "sam@shop.example", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )

    assert refused.status == 503 and "Try again shortly" in await refused.text()
    assert "set-cookie" not in {k.lower() for k in refused.headers}


async def test_a_session_never_seen_here_is_not_honoured_while_redis_is_down(
    down_cluster: Cluster, own_redis: RedisServer, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(down_cluster.a, "sam@shop.example")
    down_cluster.b.session.cookie_jar.update_cookies(
        down_cluster.a.session.cookie_jar.filter_cookies(down_cluster.a.make_url("/"))
    )
    own_redis.stop()

    on_b = await down_cluster.b.get("/staff/handoffs", allow_redirects=False)

    # B cannot tell whether the session was ended: neither signed in nor thrown out.
    assert on_b.status == 503 and "Try again shortly" in await on_b.text()


async def test_a_signed_identity_starts_a_guest_chat_while_redis_is_down(
    down_cluster: Cluster, own_redis: RedisServer, sessions: sessionmaker[Session]
) -> None:
    add_customer(sessions, email="anna@example.com", external_ref="A-1")
    own_redis.stop()

    started = await start_chat(down_cluster.a, identity=sign_hmac_identity(IDENTITY_SECRET, "A-1"))

    # The chat starts, unlinked: a single-use token that cannot be checked proves nothing.
    assert started.status == 303
    assert linked_identities(sessions) == 0
    assert "Chatting as <strong>guest</strong>" in await (await down_cluster.a.get("/chat")).text()


async def test_everything_is_shared_again_when_redis_returns(
    down_cluster: Cluster, own_redis: RedisServer, sessions: sessionmaker[Session]
) -> None:
    sender_id, ws_on_b = await open_chat(down_cluster.b)
    own_redis.kill()
    for _ in range(3):
        assert (await start_chat(down_cluster.a, guest="1")).status == 303
    own_redis.restart()

    for _ in range(100):  # the listener reconnects with a short back-off
        try:
            if await down_cluster.a.app[chat_hub_key].push_to_customer(sender_id, "back"):
                break
        except PushUnavailable:
            pass
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the push never went through after Redis came back")
    assert (await ws_on_b.receive_json(timeout=5))["messages"][0]["text"] == "back"
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(down_cluster.b, "sam@shop.example")


def linked_identities(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Identity)) or 0)
