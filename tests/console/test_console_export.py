"""Export of filtered conversations as CSV and JSONL, redacted for everyone but admins."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.staff.accounts import StaffDirectory
from console.staff.conversation_export import EXPORT_PAGE_SIZE
from console.staff.redaction import luhn_ok, redact
from tests.console.conversation_helpers import TrackerFile, add_session
from tests.console.staff_helpers import add_account, sign_in
from tests.factories import add_customer

DAY = datetime(2024, 11, 20, 10, 0)
SECRET_TEXT = "call me on +44 20 7946 0958, card 4111 1111 1111 1111, mail anna@example.com"
HOSTILE = '=HYPERLINK("http://evil.example") <script>alert(1)</script>'


@pytest.fixture
def tracker(tmp_path: Path) -> TrackerFile:
    return TrackerFile(tmp_path / "tracker.db")


@pytest.fixture
def shop(sessions: sessionmaker[Session], tracker: TrackerFile) -> dict[str, int]:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna", last_name="Smith")
    ids = {"anna": add_session(sessions, "web-anna", DAY, customer_id=anna, intents=("inform",))}
    tracker.user("web-anna", DAY + timedelta(seconds=1), SECRET_TEXT, "inform", 0.9)
    tracker.bot("web-anna", DAY + timedelta(seconds=2), "Thanks, order 10234 ships 2024-11-24.")
    later = DAY + timedelta(days=1)
    ids["guest"] = add_session(sessions, "web-guest", later, channel="web", intents=("greet",))
    tracker.user("web-guest", later + timedelta(seconds=1), HOSTILE, "greet", 0.8)
    return ids


async def as_role(client: TestClient, sessions: sessionmaker[Session], role: str) -> None:
    add_account(sessions, f"{role}@shop.example", role)
    await sign_in(client, f"{role}@shop.example")


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


async def test_agent_gets_jsonl_with_personal_data_redacted(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await as_role(client, sessions, "agent")

    response = await client.get("/staff/conversations/export.jsonl")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["Content-Disposition"]
    records = jsonl(await response.text())
    assert [r["session_id"] for r in records] == [shop["guest"], shop["anna"]]
    anna = records[1]
    assert anna["customer_email"] == "[email]"
    assert anna["messages"][0] == {
        "at": "2024-11-20T10:00:01",
        "speaker": "customer",
        "text": "call me on [phone], card [card], mail [email]",
        "intent": "inform",
        "confidence": 0.9,
    }
    assert anna["messages"][1]["text"] == "Thanks, order 10234 ships 2024-11-24."
    entry = StaffDirectory(sessions).audit_log()[0]
    assert (entry.action, entry.detail["redacted"]) == ("conversations_exported", True)


async def test_admin_gets_the_text_unredacted(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await as_role(client, sessions, "admin")

    response = await client.get("/staff/conversations/export.jsonl?customer=anna")

    records = jsonl(await response.text())
    assert [r["session_id"] for r in records] == [shop["anna"]]
    assert records[0]["customer_email"] == "anna@example.com"
    assert records[0]["messages"][0]["text"] == SECRET_TEXT


async def test_csv_has_a_line_per_message_and_defuses_spreadsheet_formulas(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await as_role(client, sessions, "agent")

    response = await client.get("/staff/conversations/export.csv")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(int(r["session_id"]), r["speaker"]) for r in rows] == [
        (shop["guest"], "customer"),
        (shop["anna"], "customer"),
        (shop["anna"], "bot"),
    ]
    assert rows[0]["text"] == "'" + HOSTILE
    assert rows[1]["text"] == "call me on [phone], card [card], mail [email]"


async def test_export_follows_the_list_filters(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await as_role(client, sessions, "agent")

    by_date = await client.get("/staff/conversations/export.jsonl?date_from=2024-11-21")
    by_text = await client.get("/staff/conversations/export.jsonl?q=7946")

    assert [r["session_id"] for r in jsonl(await by_date.text())] == [shop["guest"]]
    assert [r["session_id"] for r in jsonl(await by_text.text())] == [shop["anna"]]


async def test_export_streams_every_page_of_a_large_set(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await as_role(client, sessions, "agent")
    total = EXPORT_PAGE_SIZE + 7
    for n in range(total):
        add_session(sessions, f"web-{n}", DAY + timedelta(minutes=n))

    response = await client.get("/staff/conversations/export.jsonl")

    records = jsonl(await response.text())
    assert len(records) == total
    assert len({r["session_id"] for r in records}) == total


async def test_bad_filter_is_explained(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await as_role(client, sessions, "agent")

    response = await client.get("/staff/conversations/export.csv?date_from=<b>soon</b>")

    assert response.status == 400
    assert "date from must be a date like 2024-11-24" in await response.text()


async def test_marketer_cannot_export(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await as_role(client, sessions, "marketer")

    response = await client.get("/staff/conversations/export.jsonl")

    assert response.status == 403
    assert "anna@example.com" not in await response.text()


async def test_signed_out_visitor_cannot_export(client: TestClient, shop: dict[str, int]) -> None:
    response = await client.get("/staff/conversations/export.csv", allow_redirects=False)

    assert response.status == 303
    assert response.headers["Location"].startswith("/staff/sign-in")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("write to anna.smith+shop@example.co.uk please", "write to [email] please"),
        ("ring +44 20 7946 0958 or 07700 900123", "ring [phone] or [phone]"),
        ("US number (555) 123-4567", "US number [phone]"),
        ("card 4111 1111 1111 1111 thanks", "card [card] thanks"),
        ("card 4111-1111-1111-1111", "card [card]"),
        ("amex 378282246310005", "amex [card]"),
    ],
)
def test_personal_data_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "where is my order 10234?",
        "orders 10234, 10235 and 10236",
        "it came on 2024-11-24 at 10:30",
        "delivered 24/11/2024 or 24.11.2024",
        "size 42, 3 items, £19.99",
        "4111 1111 1111 1112 fails the Luhn check",
        "ticket 123-456",
    ],
)
def test_ordinary_numbers_survive_redaction(text: str) -> None:
    assert redact(text) == text


def test_luhn_check_accepts_real_test_cards_and_rejects_a_typo() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("5555555555554444")
    assert not luhn_ok("4111111111111112")


async def test_list_page_offers_export_links_carrying_its_filters(
    client: TestClient, sessions: sessionmaker[Session], shop: dict[str, int]
) -> None:
    await as_role(client, sessions, "agent")

    page = await (await client.get("/staff/conversations?customer=anna&tag=late")).text()

    assert 'href="/staff/conversations/export.csv?customer=anna&amp;tag=late"' in page
    exported = await client.get("/staff/conversations/export.jsonl?customer=anna&tag=late")
    assert exported.status == 200
