"""The live feed without a broker: the staff pages' banner reads the store's sessions and handoffs."""

from __future__ import annotations

import re
import time

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from store.session_history import SessionHistory
from tests.console.staff_helpers import add_account, sign_in

pytestmark = pytest.mark.asyncio
_SINCE = re.compile(r'data-live-since="([0-9.]+)"')


async def signed_in_agent(client: TestClient, sessions: sessionmaker[Session]) -> None:
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(client, "sam@shop.example")


async def page_since(client: TestClient, path: str) -> float:
    """The moment ``path`` was drawn, which its live banner counts from."""
    body = await (await client.get(path)).text()
    found = _SINCE.search(body)
    assert found, f"{path} has no live banner"
    assert 'src="/static/js/live.js"' in body
    return float(found.group(1))


async def summary(client: TestClient, **query: str) -> dict:
    response = await client.get("/staff/live/summary", params=query)
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    return await response.json()


async def test_new_session_and_handoff_after_the_page_was_drawn_are_announced(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    history = SessionHistory(sessions)
    history.start_session("web-before", None, "web")
    await signed_in_agent(client, sessions)
    since = await page_since(client, "/staff/conversations")

    quiet = await summary(client, since=str(since))
    history.start_session("web-new", None, "web")
    history.request_handoff("web-new", None, "a person please")
    history.request_handoff("web-new", None, "a person please")  # still waiting: same request
    told = await summary(client, since=str(since))

    assert quiet["source"] == "store" and quiet["new_conversations"] == 0
    assert quiet["broker"] is None and quiet["poll_ms"] > 0
    assert told["new_conversations"] == 1 and told["conversation_senders"] == ["web-new"]
    assert told["handoff_requests"] == 1 and told["handoff_senders"] == ["web-new"]


async def test_handoff_queue_page_carries_the_banner(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await signed_in_agent(client, sessions)

    since = await page_since(client, "/staff/handoffs")

    assert abs(since - time.time()) < 60


async def test_without_a_broker_the_store_answers_at_once_even_when_asked_to_wait(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await signed_in_agent(client, sessions)
    started = time.monotonic()

    body = await summary(client, since=str(time.time()), wait="20", seen="0,0")

    assert body["source"] == "store" and time.monotonic() - started < 5


async def test_feed_needs_a_signed_in_agent(client: TestClient) -> None:
    response = await client.get("/staff/live/summary", allow_redirects=False)

    assert response.status in (302, 303, 401, 403)


async def test_bad_questions_are_refused_with_what_was_wrong(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await signed_in_agent(client, sessions)

    bad_since = await client.get("/staff/live/summary", params={"since": "yesterday"})
    bad_source = await client.get("/staff/live/summary", params={"source": "kafka"})
    no_broker = await client.get("/staff/live/summary", params={"source": "broker"})

    assert bad_since.status == 400 and "since must be a number" in await bad_since.text()
    assert bad_source.status == 400 and "broker or store" in await bad_source.text()
    assert no_broker.status == 404 and "CONCIERGE_BROKER_URL" in await no_broker.text()
