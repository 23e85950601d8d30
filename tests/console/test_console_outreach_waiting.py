"""An outreach offer waiting in the web chat is the first thing a signed-in customer sees, once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from promotions.models import OutreachMessage
from promotions.replies import OfferPayload
from store.db import utcnow
from tests.console.chat_helpers import open_chat
from tests.factories import add_customer
from tests.promotions.conftest import FakeClock
from tests.support.outreach import make_runner, proactive_campaign, save_campaign
from tests.support.servers import free_port

WEB_ONLY = {"channels": ["web"], "timezone_default": "Europe/London"}


async def _queue_offer(sessions: sessionmaker[Session], now: datetime) -> None:
    # Web only: the mailer is never called, so it points at a port nothing listens on.
    report = await make_runner(sessions, free_port(), FakeClock(now)).run()
    assert report.sent_by_channel == {"web": 1}


async def _next_bot_frame(ws: Any) -> dict[str, Any]:
    frame: dict[str, Any] = await ws.receive_json(timeout=5)
    assert frame["type"] == "bot", frame
    return frame


async def test_waiting_offer_comes_first_in_the_next_signed_in_chat_and_only_once(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)
    save_campaign(sessions, proactive_campaign(outreach=WEB_ONLY))
    # A first visit signed in makes her reachable in the web chat; nothing waits yet.
    _, first_visit = await open_chat(client, anna)
    await first_visit.send_json({"type": "message", "id": "m1", "text": "hello"})
    assert (await _next_bot_frame(first_visit))["reply_to"] == "m1"
    await first_visit.close()
    await _queue_offer(sessions, utcnow())

    _, tab = await open_chat(client, anna)
    shown = await _next_bot_frame(tab)
    _, second_tab = await open_chat(client, anna)
    await second_tab.send_json({"type": "message", "id": "m2", "text": "hi again"})
    second_first = await _next_bot_frame(second_tab)

    assert shown["reply_to"] is None
    [message] = shown["messages"]
    assert message["text"] == "Hi Anna, take 10% off!"
    payloads = [b["payload"] for b in message["buttons"]]
    assert OfferPayload.ACCEPT in payloads and OfferPayload.DECLINE in payloads
    # The other tab's first frame is the answer to its own message: no second copy.
    assert second_first["reply_to"] == "m2"
    with sessions() as s:
        row = s.scalars(select(OutreachMessage)).one()
        assert row.delivered_at is not None
    await tab.close()
    await second_tab.close()


async def test_a_guest_chat_shows_nothing_waiting(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)
    save_campaign(sessions, proactive_campaign(outreach=WEB_ONLY))
    _, visit = await open_chat(client, anna)
    await visit.close()
    await _queue_offer(sessions, utcnow() - timedelta(minutes=1))

    _, guest = await open_chat(client)
    await guest.send_json({"type": "message", "id": "g1", "text": "hello"})

    assert (await _next_bot_frame(guest))["reply_to"] == "g1"
    with sessions() as s:
        assert s.scalars(select(OutreachMessage)).one().delivered_at is None
    await guest.close()
