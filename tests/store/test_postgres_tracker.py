"""The console and erasure on a PostgreSQL tracker store that Rasa itself wrote.

In the scaled topology Rasa keeps its ``events`` table in PostgreSQL, and the console's
reader, the conversation list, the NLU inbox and erasure read it with psycopg 3 from the
very URL Rasa is given (``postgresql://``, psycopg2 to Rasa). Rasa's payload column is
TEXT; the JSON queries that work on SQLite must work there too. The conversations are
saved by Rasa 3.6's own ``SQLTrackerStore`` (``.venv-rasa``), so the table, its types and
its JSON are exactly Rasa's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from console.staff.conversation_list import ConversationFilters, ConversationList
from console.staff.nlu_inbox import NluInbox
from console.staff.tracker_reader import TrackerReader
from store.db import STORE_DIR, make_engine, make_session_factory, upgrade
from store.erasure import forget_customer
from store.models import ChatSession, Customer
from store.tracker_store import TrackerStore
from tests.console.staff_helpers import add_account, sign_in
from tests.factories import add_customer
from tests.store.postgres_helpers import as_rasa_url, cluster, fresh_database, rasa_saves
from tests.support.servers import free_port

pytestmark = pytest.mark.engines
__all__ = ["cluster"]  # the module-scoped fixture the tests below use

NOW = datetime(2024, 4, 10, 12, 0)
ANNA_EMAIL = "annabel.quist@example.org"
ANNA_WEB, ANNA_GUEST, BEN_WEB = "web-anna-1", "guest-anna-2", "web-ben-1"


def epoch(moment: datetime) -> float:
    return (moment - datetime(1970, 1, 1)).total_seconds()


def user(text: str, intent: str, confidence: float, at: float) -> dict[str, Any]:
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}
    return {"event": "user", "text": text, "parse_data": parse, "timestamp": at}


def chat(customer_slot: dict[str, Any], said: dict[str, Any], reply: str) -> list[dict[str, Any]]:
    """A short conversation: session start, the linking slot, one message and the answer."""
    at = said["timestamp"]
    return [
        {"event": "action", "name": "action_session_start", "timestamp": at - 3},
        {"event": "session_started", "timestamp": at - 2},
        {"event": "slot", "timestamp": at - 1, **customer_slot},
        said,
        {"event": "action", "name": "utter_reply", "timestamp": at + 1},
        {"event": "bot", "text": reply, "timestamp": at + 2},
    ]


@dataclass
class Scene:
    """A shop database and a Rasa tracker store, both on PostgreSQL."""

    sessions: sessionmaker[Session]
    tracker_url: str
    anna: int
    ben: int


@dataclass(frozen=True)
class Templates:
    """The scene's two databases as built once; each test works on copies."""

    shop_url: str
    tracker_url: str
    anna: int
    ben: int


@pytest.fixture(scope="module")
def templates(cluster: str) -> Templates:
    """Migrate the shop, add Anna and Ben, and have Rasa save their chats: once per module."""
    shop_url = fresh_database(cluster, "shop_template")
    tracker_url = as_rasa_url(fresh_database(cluster, "rasa_template"))
    upgrade(shop_url)
    engine = make_engine(shop_url)
    sessions = make_session_factory(engine)
    try:
        anna = add_customer(sessions, email=ANNA_EMAIL, first_name="Annabel", last_name="Quist")
        ben = add_customer(sessions, email="ben@example.com", first_name="Ben", last_name="Hart")
        with sessions.begin() as s:
            for sender, customer in ((ANNA_WEB, anna), (ANNA_GUEST, None), (BEN_WEB, ben)):
                s.add(
                    ChatSession(
                        sender_id=sender, customer_id=customer, channel="web",
                        started_at=NOW - timedelta(hours=1), last_activity_at=NOW, turns=1,
                        intents=["order_status"],
                    )
                )  # fmt: skip
    finally:
        engine.dispose()  # a template must have no open connection to be copied
    t = epoch(NOW - timedelta(hours=1))
    saved = rasa_saves(
        tracker_url,
        {
            ANNA_WEB: chat(
                {"name": "customer_id", "value": str(anna)},
                user("where is my parcel 100% lost?", "order_status", 0.31, t),
                "Your parcel is on its way.",
            ),
            ANNA_GUEST: chat(
                {"name": "order_email", "value": ANNA_EMAIL.upper()},
                user("is order 10001 shipped", "order_status", 0.93, t + 60),
                "It was shipped yesterday.",
            ),
            BEN_WEB: [
                *chat(
                    {"name": "customer_id", "value": ben},
                    user("blorp", "nlu_fallback", 0.2, t + 120),
                    "Sorry, I did not get that.",
                ),
                {"event": "action", "name": "action_default_fallback", "timestamp": t + 125},
            ],
        },
    )
    assert saved == {ANNA_WEB: 6, ANNA_GUEST: 6, BEN_WEB: 7}
    return Templates(shop_url, tracker_url, anna, ben)


@pytest.fixture
def scene(cluster: str, templates: Templates) -> Iterator[Scene]:
    """Copies of the templates, so a test that erases leaves the next one its data."""
    shop_url = fresh_database(cluster, "shop", template=templates.shop_url)
    tracker_url = as_rasa_url(fresh_database(cluster, "rasa", template=templates.tracker_url))
    engine = make_engine(shop_url)
    yield Scene(make_session_factory(engine), tracker_url, templates.anna, templates.ben)
    engine.dispose()


@pytest.fixture
def reader(scene: Scene) -> Iterator[TrackerReader]:
    found = TrackerReader(scene.tracker_url)
    yield found
    found.close()


def test_the_reader_gives_rasas_events_in_order_with_their_json(
    scene: Scene, reader: TrackerReader
) -> None:
    got = reader.events_of(ANNA_WEB, 0.0, None)
    assert [e.type_name for e in got] == [
        "action", "session_started", "slot", "user", "action", "bot",
    ]  # fmt: skip
    assert got[3].intent_name == "order_status"
    assert got[3].data["parse_data"]["intent"]["confidence"] == pytest.approx(0.31)
    assert got[5].data["text"] == "Your parcel is on its way."


def test_tracker_filters_find_words_intents_low_confidence_and_fallbacks(
    reader: TrackerReader,
) -> None:
    assert reader.senders_where(text="PARCEL 100%") == {ANNA_WEB}
    assert reader.senders_where(text="100_") == set()  # LIKE wildcards are taken literally
    assert reader.senders_where(intent="order_status") == {ANNA_WEB, ANNA_GUEST}
    assert reader.senders_where(low_confidence_below=0.5) == {ANNA_WEB, BEN_WEB}
    assert reader.senders_where(fallback=True) == {BEN_WEB}
    assert reader.fallback_counts() == (1, 1)


def test_the_reader_cannot_write_to_rasas_store(reader: TrackerReader) -> None:
    engine = reader.engine()
    assert engine is not None
    with pytest.raises(DBAPIError, match="read-only"), engine.connect() as conn:
        conn.execute(text("DELETE FROM events"))
    assert reader.senders_where(intent="order_status") == {ANNA_WEB, ANNA_GUEST}


def test_the_conversation_list_filters_by_what_the_tracker_holds(
    scene: Scene, reader: TrackerReader
) -> None:
    listing = ConversationList(scene.sessions, reader)
    by_words = listing.page(ConversationFilters(text="parcel"))
    assert [r.sender_id for r in by_words.rows] == [ANNA_WEB]
    assert by_words.rows[0].customer_name == "Annabel Quist"
    unsure = listing.page(ConversationFilters(flags=frozenset({"low_confidence"})))
    assert {r.sender_id for r in unsure.rows} == {ANNA_WEB, BEN_WEB}
    assert len(listing.page(ConversationFilters()).rows) == 3


def test_the_nlu_inbox_lists_the_doubtful_messages(scene: Scene, reader: TrackerReader) -> None:
    inbox = NluInbox(scene.sessions, reader, unsure_below=0.5)
    page = inbox.page()
    assert [m.text for m in page.messages] == ["blorp", "where is my parcel 100% lost?"]
    assert page.messages[1].confidence == pytest.approx(0.31)


def test_forgetting_a_customer_deletes_her_conversations_from_rasas_store(scene: Scene) -> None:
    tracker = TrackerStore(scene.tracker_url)
    try:
        assert tracker.senders_linked_to(scene.anna, ANNA_EMAIL) == {ANNA_WEB, ANNA_GUEST}
        report = forget_customer(scene.sessions, tracker, scene.anna, actor="dpo@shop.test")
        assert report.tracker_events == 12
        left = tracker.events_of([ANNA_WEB, ANNA_GUEST, BEN_WEB])
    finally:
        tracker.close()
    assert set(left) == {BEN_WEB} and len(left[BEN_WEB]) == 7
    with scene.sessions() as s:
        assert s.get(Customer, scene.anna) is None
        assert s.scalar(select(Customer.id).where(Customer.email == ANNA_EMAIL)) is None
        senders = set(s.scalars(select(ChatSession.sender_id)))
    assert ANNA_WEB not in senders and BEN_WEB in senders


def test_idle_conversations_are_deleted_by_their_newest_event(scene: Scene) -> None:
    tracker = TrackerStore(scene.tracker_url)
    try:
        # Anna's two chats ended before Ben's fallback: only they are idle at this cut.
        cut = epoch(NOW - timedelta(hours=1)) + 100
        assert tracker.delete_idle_since(cut) == (2, 12)
        assert set(tracker.events_of([ANNA_WEB, ANNA_GUEST, BEN_WEB])) == {BEN_WEB}
    finally:
        tracker.close()


def test_a_tracker_database_rasa_has_not_written_to_yet_reads_as_empty(cluster: str) -> None:
    reader = TrackerReader(as_rasa_url(fresh_database(cluster, "rasa_not_started")))
    try:
        assert reader.engine() is None
        assert reader.events_of(ANNA_WEB, 0.0, None) == []
        assert reader.senders_where(text="parcel") == set()
        assert reader.fallback_counts() == (0, 0)
    finally:
        reader.close()


async def test_the_staff_console_lists_and_shows_conversations_from_postgres(
    scene: Scene, aiohttp_client: Any, tmp_path: Path
) -> None:
    shop_url = scene.sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = Settings(
        var_dir=tmp_path, db_url=shop_url, tracker_db_url=scene.tracker_url,
        artifacts_dir=tmp_path / "artifacts", policy_file=STORE_DIR / "shop_policy.yml",
        console_port=free_port(), rasa_port=free_port(),
    )  # fmt: skip
    client = await aiohttp_client(
        create_app(settings, cookie_secret=b"postgres-console-0123456789")
    )
    add_account(scene.sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(client, "sam@shop.example")  # the staff session is kept in PostgreSQL too
    with scene.sessions() as s:
        ids = {
            row.sender_id: row.id
            for row in s.execute(select(ChatSession.sender_id, ChatSession.id))
        }

    found = await client.get("/staff/conversations", params={"q": "parcel"})
    assert found.status == 200
    assert re.findall(r'data-session-id="(\d+)"', await found.text()) == [str(ids[ANNA_WEB])]
    shown = await client.get(f"/staff/conversations/{ids[ANNA_WEB]}")
    assert shown.status == 200
    assert "Your parcel is on its way." in await shown.text()
