"""What agents who are not admins read: redacted transcripts and pseudonymised exports."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.console.conversation_helpers import TrackerFile, add_session
from tests.console.staff_helpers import add_account, sign_in
from tests.factories import add_customer

DAY = datetime(2024, 11, 20, 10, 0)
PHONE = "07700 900123"
CARD = "4111.1111.1111.1111"
SAID = f"on 2024-05-01 call {PHONE}, card {CARD}, or mail anna.smith@example.com"


@pytest.fixture
def conversation(tmp_path: Path, sessions: sessionmaker[Session]) -> int:
    tracker = TrackerFile(tmp_path / "tracker.db")
    anna = add_customer(
        sessions, email="anna.smith@example.com", first_name="Anna", last_name="Smith"
    )
    session_id = add_session(sessions, "web-anna-7f3c", DAY, customer_id=anna, intents=("inform",))
    phone_entity = {"entity": "phone", "value": PHONE, "confidence_entity": 0.9}
    tracker.user("web-anna-7f3c", DAY + timedelta(seconds=1), SAID, "inform", 0.9, [phone_entity])
    tracker.slot("web-anna-7f3c", DAY + timedelta(seconds=2), "contact_phone", PHONE)
    tracker.bot(
        "web-anna-7f3c", DAY + timedelta(seconds=3), f"We will call {PHONE} about order 18992."
    )
    # A second session of the same sender, so the export has rows to group.
    add_session(sessions, "web-anna-7f3c", DAY + timedelta(days=1), customer_id=anna)
    return session_id


async def as_role(client: TestClient, sessions: sessionmaker[Session], role: str) -> None:
    add_account(sessions, f"{role}@shop.example", role)
    await sign_in(client, f"{role}@shop.example")


async def test_an_agent_reads_the_transcript_redacted(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    await as_role(client, sessions, "agent")

    body = await (await client.get(f"/staff/conversations/{conversation}")).text()

    for personal in (PHONE, CARD, "anna.smith@example.com"):
        assert personal not in body
    assert "on 2024-05-01 call [phone], card [card], or mail [email]" in body
    assert "We will call [phone] about order 18992." in body
    assert 'data-testid="slot-value">[phone]<' in body
    assert 'data-testid="turn-entity">phone=[phone]<' in body


async def test_an_admin_reads_the_transcript_whole(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    await as_role(client, sessions, "admin")

    body = await (await client.get(f"/staff/conversations/{conversation}")).text()

    assert SAID in body and "anna.smith@example.com" in body


async def test_an_agents_export_keeps_no_name_sender_or_address_but_still_groups(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    await as_role(client, sessions, "agent")

    text = await (await client.get("/staff/conversations/export.jsonl")).text()

    for personal in ("Anna", "Smith", "web-anna-7f3c", "anna.smith", PHONE, CARD):
        assert personal not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 2
    senders = {r["sender_id"] for r in records}
    names = {r["customer_name"] for r in records}
    assert len(senders) == 1 and senders.pop().startswith("sender-")
    assert len(names) == 1 and names.pop().startswith("customer-")


async def test_an_admins_export_names_the_customer(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    await as_role(client, sessions, "admin")

    text = await (await client.get("/staff/conversations/export.csv")).text()

    assert "web-anna-7f3c" in text and "Anna Smith" in text


async def test_an_agent_s_conversation_list_shows_no_customer_address(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    await as_role(client, sessions, "agent")

    # Searching by the address still works; the page just does not print it.
    body = await (await client.get("/staff/conversations?customer=anna.smith")).text()

    assert "anna.smith@example.com" not in body
    assert f"/staff/conversations/{conversation}" in body and "[email]" in body


async def test_an_admin_s_conversation_list_shows_the_address(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    await as_role(client, sessions, "admin")

    body = await (await client.get("/staff/conversations")).text()

    assert "anna.smith@example.com" in body
