"""The agent's conversations list and transcript, over a real store and a Rasa-shaped tracker."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.staff.reviews import ReviewDesk
from tests.console.conversation_helpers import TrackerFile, add_handoff, add_session
from tests.console.staff_helpers import add_account, sign_in
from tests.factories import add_customer, add_order, add_product

pytestmark = pytest.mark.asyncio

DAY = datetime(2024, 11, 20, 10, 0)


@pytest.fixture
def tracker(tmp_path: Path) -> TrackerFile:
    return TrackerFile(tmp_path / "tracker.db")


@pytest.fixture
def shop(sessions: sessionmaker[Session], tracker: TrackerFile) -> dict[str, int]:
    """Three conversations: Anna's order question, Ben's fallback, a guest's hostile text."""
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna", last_name="Smith")
    ben = add_customer(sessions, email="ben@example.com", first_name="Ben", last_name="Jones")
    ids = {"anna_customer": anna}

    t = DAY
    ids["anna"] = add_session(
        sessions,
        "web-anna",
        t,
        customer_id=anna,
        intents=("order_status",),
        outcomes=("order_looked_up",),
        rating=5,
    )
    tracker.session_start("web-anna", t)
    tracker.user(
        "web-anna",
        t + timedelta(seconds=5),
        "where is my order 10005?",
        "order_status",
        0.97,
        [{"entity": "order_number", "value": "10005", "confidence_entity": 0.99}],
    )
    tracker.slot("web-anna", t + timedelta(seconds=6), "order_number", "10005")
    tracker.action("web-anna", t + timedelta(seconds=7), "action_order_status", "TEDPolicy", 0.91)
    tracker.bot("web-anna", t + timedelta(seconds=8), "Order 10005 is on its way.")

    t = DAY + timedelta(days=1)
    ids["ben"] = add_session(
        sessions,
        "web-ben",
        t,
        customer_id=ben,
        intents=("nlu_fallback",),
        outcomes=("handoff_requested",),
    )
    tracker.session_start("web-ben", t)
    tracker.user("web-ben", t + timedelta(seconds=5), "the blue thingy broke", "nlu_fallback", 0.31)
    tracker.action(
        "web-ben", t + timedelta(seconds=6), "action_default_fallback", "RulePolicy", 0.3
    )
    tracker.bot("web-ben", t + timedelta(seconds=7), "Sorry, I couldn't understand that.")
    add_handoff(sessions, ids["ben"], "web-ben", t + timedelta(seconds=20), ben)

    t = DAY + timedelta(days=2)
    ids["guest"] = add_session(sessions, "web-guest", t, intents=("greet",))
    tracker.session_start("web-guest", t)
    tracker.user(
        "web-guest",
        t + timedelta(seconds=5),
        "<img src=x onerror=alert(1)> hello 100%_sure",
        "greet",
        0.88,
    )
    return ids


def listed(body: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-session-id="(\d+)"', body)]


async def signed_in_agent(client: TestClient, sessions: sessionmaker[Session]) -> None:
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(client, "sam@shop.example")


async def test_list_shows_conversations_newest_first(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await signed_in_agent(client, sessions)

    response = await client.get("/staff/conversations")

    assert response.status == 200
    assert listed(await response.text()) == [shop["guest"], shop["ben"], shop["anna"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("date_from=2024-11-21&date_to=2024-11-21", ["ben"]),
        ("date_from=2024-11-21", ["guest", "ben"]),
        ("customer=anna@", ["anna"]),
        ("customer=Jones", ["ben"]),
        ("intent=order_status", ["anna"]),
        ("fallback=1", ["ben"]),
        ("low_confidence=1", ["ben"]),
        ("handoff=1", ["ben"]),
        ("rating=5", ["anna"]),
        ("q=thingy", ["ben"]),
        ("q=ON ITS WAY", ["anna"]),
        ("q=100%25_sure", ["guest"]),
        ("q=100%25", ["guest"]),
        ("q=event", []),
        ("intent=order_status&fallback=1", []),
        ("review_state=new", ["guest", "ben", "anna"]),
    ],
)
async def test_filters_narrow_the_list(
    client: TestClient,
    sessions: sessionmaker[Session],
    shop: dict[str, int],
    query: str,
    expected: list[str],
) -> None:
    await signed_in_agent(client, sessions)

    response = await client.get(f"/staff/conversations?{query}")

    assert response.status == 200
    assert listed(await response.text()) == [shop[name] for name in expected]


async def test_tag_and_review_state_filters_follow_the_review(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await signed_in_agent(client, sessions)
    ReviewDesk(sessions).update(shop["ben"], "needs_fix", ["nlu-gap"], "sam@shop.example")

    by_tag = await client.get("/staff/conversations?tag=nlu-gap")
    by_state = await client.get("/staff/conversations?review_state=needs_fix")
    still_new = await client.get("/staff/conversations?review_state=new")

    assert listed(await by_tag.text()) == [shop["ben"]]
    assert listed(await by_state.text()) == [shop["ben"]]
    assert listed(await still_new.text()) == [shop["guest"], shop["anna"]]


async def test_list_is_paginated(
    client: TestClient, sessions: sessionmaker[Session], tracker: TrackerFile
) -> None:
    await signed_in_agent(client, sessions)
    made = [add_session(sessions, f"web-{n}", DAY + timedelta(minutes=n)) for n in range(30)]

    first = await (await client.get("/staff/conversations")).text()
    second = await (await client.get("/staff/conversations?page=1")).text()

    assert listed(first) == made[::-1][:25]
    assert listed(second) == made[::-1][25:]
    assert 'rel="next"' in first and 'rel="next"' not in second


@pytest.mark.parametrize(
    "query, message",
    [
        ("date_from=yesterday", "date from must be a date like 2024-11-24, not 'yesterday'"),
        ("rating=9", "rating must be a whole number from 1 to 5, not '9'"),
        ("review_state=<b>x</b>", "review state must be one of new, reviewed, needs_fix"),
    ],
)
async def test_bad_filters_are_explained(
    client: TestClient,
    sessions: sessionmaker[Session],
    shop: dict[str, int],
    query: str,
    message: str,
) -> None:
    await signed_in_agent(client, sessions)

    response = await client.get(f"/staff/conversations?{query}")

    assert response.status == 400
    assert message.replace("'", "&#39;") in await response.text()


async def test_hostile_search_text_is_echoed_as_text(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await signed_in_agent(client, sessions)

    response = await client.get('/staff/conversations?q="><script>alert(1)</script>')

    body = await response.text()
    assert "<script>alert(1)</script>" not in body
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body


async def test_transcript_shows_intents_entities_slots_actions_and_the_customer(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await signed_in_agent(client, sessions)

    response = await client.get(f"/staff/conversations/{shop['anna']}")

    body = await response.text()
    assert response.status == 200
    assert "where is my order 10005?" in body
    assert 'data-testid="turn-intent">order_status<' in body
    assert 'data-testid="turn-confidence">0.97<' in body
    assert 'data-testid="turn-entity">order_number=10005<' in body
    assert "slot <strong>order_number</strong>" in body
    assert "action <strong>action_order_status</strong> · TEDPolicy 0.91" in body
    assert "Order 10005 is on its way." in body
    # An agent reads the profile with the same redaction as the export.
    assert "anna@example.com" not in body and "[email]" in body and "order looked up" in body
    assert "Rating: 5 / 5" in body


async def test_transcript_shows_order_totals_as_the_customer_reads_money(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    # One money format everywhere (concierge.formatting.money): "£39", never "39.00 GBP".
    lamp = add_product(sessions, title="Brass lamp", price=19.5)
    whole = add_order(sessions, customer_id=shop["anna_customer"], lines=[(lamp, 2, 19.5)])
    pence = add_order(sessions, customer_id=shop["anna_customer"], lines=[(lamp, 1, 1250.5)])
    await signed_in_agent(client, sessions)

    body = await (await client.get(f"/staff/conversations/{shop['anna']}")).text()

    assert f"{whole.number} · delivered · £39<" in body
    assert f"{pence.number} · delivered · £1,250.50<" in body
    assert "GBP" not in body


async def test_transcript_flags_fallback_and_low_confidence(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await signed_in_agent(client, sessions)

    body = await (await client.get(f"/staff/conversations/{shop['ben']}")).text()

    assert "low confidence" in body and body.count(">fallback<") == 2
    assert "Handoff 1: waiting" in body


async def test_transcript_renders_hostile_message_text_as_text(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await signed_in_agent(client, sessions)

    body = await (await client.get(f"/staff/conversations/{shop['guest']}")).text()

    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt; hello 100%_sure" in body
    assert "Guest (no customer linked)." in body


async def test_transcript_of_an_unknown_conversation_is_not_found(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await signed_in_agent(client, sessions)

    response = await client.get("/staff/conversations/99999")

    assert response.status == 404
    assert "There is no conversation 99999." in await response.text()


async def test_transcript_without_a_tracker_store_says_so(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await signed_in_agent(client, sessions)
    session_id = add_session(sessions, "web-lonely", DAY)

    body = await (await client.get(f"/staff/conversations/{session_id}")).text()

    assert "The tracker store has no events for this session." in body


@pytest.mark.parametrize("path", ["/staff/conversations", "/staff/conversations/1"])
async def test_marketer_cannot_read_conversations(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int], path: str
) -> None:
    add_account(sessions, "mia@shop.example", "marketer")
    await sign_in(client, "mia@shop.example")

    response = await client.get(path)

    assert response.status == 403
    assert "needs the role agent" in await response.text()


async def test_marketer_who_is_also_an_agent_can_read_transcripts(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    add_account(sessions, "mia@shop.example", "marketer", "agent")
    await sign_in(client, "mia@shop.example")

    response = await client.get(f"/staff/conversations/{shop['anna']}")

    assert response.status == 200
