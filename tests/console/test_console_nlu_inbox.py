"""The NLU inbox over a real store and a Rasa-shaped tracker: listing, correcting, exporting."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.staff.accounts import StaffDirectory
from console.staff.bot_intents import bot_intents, fallback_threshold
from console.staff.nlu_export import e2e_stories_yaml, nlu_yaml
from console.staff.nlu_inbox import Correction
from console.staff.reviews import ReviewDesk
from tests.console.conversation_helpers import TrackerFile, add_session, epoch
from tests.console.staff_helpers import add_account, csrf_of, sign_in

DAY = datetime(2024, 11, 20, 10, 0)
HOSTILE = "<script>alert('x')</script> my parcel"


def add_ranked_user(
    tracker: TrackerFile, sender: str, at: datetime, text: str, ranking: list[tuple[str, float]]
) -> None:
    """A user event as Rasa writes it when FallbackClassifier won: the ranking keeps the guess."""
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.6},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": [],
        "text": text,
    }
    data = {"event": "user", "timestamp": epoch(at), "text": text, "parse_data": parse}
    with sqlite3.connect(tracker.path) as conn:
        conn.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
            " VALUES (?, 'user', ?, 'nlu_fallback', NULL, ?)",
            (sender, epoch(at), json.dumps(data)),
        )


@pytest.fixture
def tracker(tmp_path: Path) -> TrackerFile:
    return TrackerFile(tmp_path / "tracker.db")


@pytest.fixture
def inbox_data(sessions: sessionmaker[Session], tracker: TrackerFile) -> dict[str, int]:
    """Six customer messages; five belong in the inbox for different reasons."""
    t = DAY
    add_session(sessions, "web-a", t)
    tracker.user("web-a", t + timedelta(seconds=1), "where is order 10005", "order_status", 0.97)
    tracker.user("web-a", t + timedelta(seconds=2), "/affirm", "affirm", 0.2)
    add_ranked_user(
        tracker,
        "web-a",
        t + timedelta(seconds=3),
        "the blue thingy broke",
        [("nlu_fallback", 0.6), ("request_return", 0.41), ("order_status", 0.2)],
    )
    # Just under the threshold config.yml gives the FallbackClassifier, whatever it is today.
    unsure = fallback_threshold() - 0.05
    tracker.user("web-a", t + timedelta(seconds=4), "erm maybe", "affirm", unsure)
    tracker.user("web-a", t + timedelta(seconds=5), "hiya pal", "greet", 0.9)
    tracker.action("web-a", t + timedelta(seconds=6), "action_default_fallback")
    flagged = add_session(sessions, "web-b", t + timedelta(hours=1))
    tracker.user("web-b", t + timedelta(hours=1, seconds=1), "cancel it now", "greet", 0.95)
    tracker.user("web-b", t + timedelta(hours=1, seconds=2), HOSTILE, "nlu_fallback", 0.6)
    ReviewDesk(sessions).update(flagged, "needs_fix", [], "lead@shop.example")
    return {"flagged": flagged}


def texts(body: str) -> list[str]:
    cells = re.findall(r'data-testid="inbox-text">(.*?)</td>', body)
    return cells


def event_ids(body: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-testid="inbox-row" data-event-id="(\d+)"', body)]


async def agent(client: TestClient, sessions: sessionmaker[Session]) -> None:
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    await sign_in(client, "sam@shop.example")


async def correct(client: TestClient, event_id: int, intent: str) -> int:
    token = await csrf_of(client, "/staff/nlu-inbox")
    response = await client.post(
        f"/staff/nlu-inbox/{event_id}/correct",
        data={"intent": intent, "csrf_token": token, "back": "?show=open&page=0"},
        allow_redirects=False,
    )
    return response.status


async def test_inbox_lists_fallbacks_unsure_and_flagged_messages_newest_first(
    client: TestClient, sessions: sessionmaker[Session], inbox_data: dict[str, int]
) -> None:
    await agent(client, sessions)

    response = await client.get("/staff/nlu-inbox")

    body = await response.text()
    assert response.status == 200
    assert texts(body) == [
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; my parcel",
        "cancel it now",
        "hiya pal",
        "erm maybe",
        "the blue thingy broke",
    ]
    assert "<script>alert" not in body
    assert "guess: request_return" in body
    assert "where is order 10005" not in body and "/affirm" not in body


async def test_correction_is_stored_audited_and_leaves_the_open_inbox(
    client: TestClient, sessions: sessionmaker[Session], inbox_data: dict[str, int]
) -> None:
    await agent(client, sessions)
    body = await (await client.get("/staff/nlu-inbox")).text()
    thingy = event_ids(body)[texts(body).index("the blue thingy broke")]

    status = await correct(client, thingy, "request_return")

    assert status == 303
    open_body = await (await client.get("/staff/nlu-inbox")).text()
    all_body = await (await client.get("/staff/nlu-inbox?show=all")).text()
    assert "the blue thingy broke" not in texts(open_body)
    assert "corrected: request_return" in all_body
    entry = StaffDirectory(sessions).audit_log()[0]
    assert (entry.action, entry.actor_email) == ("nlu_corrected", "sam@shop.example")
    assert entry.detail["intent"] == "request_return"
    assert entry.detail["predicted"] == "nlu_fallback"

    nlu = await client.get("/staff/nlu-inbox/corrections.yml")
    assert nlu.status == 200
    assert "attachment" in nlu.headers["Content-Disposition"]
    document = yaml.safe_load(await nlu.text())
    assert document == {
        "version": "3.1",
        "nlu": [{"intent": "request_return", "examples": "- the blue thingy broke\n"}],
    }
    stories = yaml.safe_load(await (await client.get("/staff/nlu-inbox/test-stories.yml")).text())
    assert stories["version"] == "3.1"
    assert stories["stories"][0]["steps"] == [
        {"user": "the blue thingy broke\n", "intent": "request_return"}
    ]


async def test_second_correction_of_a_message_replaces_the_first(
    client: TestClient, sessions: sessionmaker[Session], inbox_data: dict[str, int]
) -> None:
    await agent(client, sessions)
    body = await (await client.get("/staff/nlu-inbox")).text()
    maybe = event_ids(body)[texts(body).index("erm maybe")]

    assert await correct(client, maybe, "deny") == 303
    assert await correct(client, maybe, "affirm") == 303

    document = yaml.safe_load(await (await client.get("/staff/nlu-inbox/corrections.yml")).text())
    assert document["nlu"] == [{"intent": "affirm", "examples": "- erm maybe\n"}]


async def test_intent_the_bot_does_not_know_is_refused_with_a_message(
    client: TestClient, sessions: sessionmaker[Session], inbox_data: dict[str, int]
) -> None:
    await agent(client, sessions)
    body = await (await client.get("/staff/nlu-inbox")).text()

    token = await csrf_of(client, "/staff/nlu-inbox")
    response = await client.post(
        f"/staff/nlu-inbox/{event_ids(body)[0]}/correct",
        data={"intent": "<b>faq</b>", "csrf_token": token},
    )

    assert response.status == 400
    page = await response.text()
    assert "&#39;&lt;b&gt;faq&lt;/b&gt;&#39; is not one of the bot&#39;s intents" in page
    assert "<b>faq</b>" not in page


async def test_correcting_a_message_that_does_not_exist_is_not_found(
    client: TestClient, sessions: sessionmaker[Session], inbox_data: dict[str, int]
) -> None:
    await agent(client, sessions)

    assert await correct(client, 99999, "greet") == 404


async def test_correction_without_csrf_token_is_refused(
    client: TestClient, sessions: sessionmaker[Session], inbox_data: dict[str, int]
) -> None:
    await agent(client, sessions)
    body = await (await client.get("/staff/nlu-inbox")).text()

    response = await client.post(
        f"/staff/nlu-inbox/{event_ids(body)[0]}/correct", data={"intent": "greet"}
    )

    assert response.status == 403
    assert yaml.safe_load(await (await client.get("/staff/nlu-inbox/corrections.yml")).text()) == {
        "version": "3.1",
        "nlu": [],
    }


@pytest.mark.parametrize(
    "path",
    ["/staff/nlu-inbox", "/staff/nlu-inbox/corrections.yml", "/staff/nlu-inbox/test-stories.yml"],
)
async def test_marketer_is_refused_the_inbox(
    client: TestClient, sessions: sessionmaker[Session], path: str
) -> None:
    add_account(sessions, "mia@shop.example", "marketer")
    await sign_in(client, "mia@shop.example")

    response = await client.get(path)

    assert response.status == 403


async def test_signed_out_visitor_is_sent_to_sign_in(client: TestClient) -> None:
    response = await client.get("/staff/nlu-inbox", allow_redirects=False)

    assert response.status == 303
    assert response.headers["Location"].startswith("/staff/sign-in?next=")


async def test_inbox_is_paginated_newest_first(
    client: TestClient, sessions: sessionmaker[Session], tracker: TrackerFile
) -> None:
    await agent(client, sessions)
    for n in range(30):
        tracker.user("web-p", DAY + timedelta(minutes=n), f"unclear {n}", "nlu_fallback", 0.6)

    first = await (await client.get("/staff/nlu-inbox")).text()
    second = await (await client.get("/staff/nlu-inbox?page=1")).text()

    assert texts(first) == [f"unclear {n}" for n in range(29, 4, -1)]
    assert texts(second) == [f"unclear {n}" for n in range(4, -1, -1)]
    assert 'rel="next"' in first and 'rel="next"' not in second


async def test_empty_tracker_store_shows_an_empty_inbox(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await agent(client, sessions)

    response = await client.get("/staff/nlu-inbox")

    assert response.status == 200
    assert 'data-testid="inbox-empty"' in await response.text()


def test_intents_come_from_the_domain_with_retrieval_sub_intents() -> None:
    intents = bot_intents()

    assert "request_return" in intents and "greet" in intents
    assert "faq/warranty" in intents and "faq" not in intents
    assert "nlu_fallback" not in intents


def test_threshold_is_the_fallback_classifiers(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n  - name: DIETClassifier\n  - name: FallbackClassifier\n    threshold: 0.7\n"
    )

    assert fallback_threshold(config) == 0.7
    assert fallback_threshold(tmp_path / "missing.yml") == 0.3


def test_export_keeps_the_latest_intent_of_a_text_and_drops_annotation_brackets() -> None:
    corrections = [
        Correction(1, "Where is it", "order_status", None, "a", DAY),
        Correction(2, "where is  it", "return_status", None, "b", DAY + timedelta(hours=1)),
        Correction(3, "[blue](colour) lamp", "inform", "nlu_fallback", "a", DAY),
    ]

    nlu = yaml.safe_load(nlu_yaml(corrections))
    stories = yaml.safe_load(e2e_stories_yaml(corrections))

    assert nlu["nlu"] == [
        {"intent": "inform", "examples": "- blue colour lamp\n"},
        {"intent": "return_status", "examples": "- where is it\n"},
    ]
    assert [s["steps"][0]["intent"] for s in stories["stories"]] == ["return_status", "inform"]
