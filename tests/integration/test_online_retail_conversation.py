"""The bot on a shop's own imported data (UCI Online Retail layout), not just the demo shop."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from store.db import make_engine, make_session_factory
from store.importer import import_online_retail
from store.models import Customer
from tests.integration.conftest import Chat

pytestmark = pytest.mark.integration

ONLINE_RETAIL = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "online_retail"
    / "online_retail.csv.gz"
)


@pytest.mark.skipif(
    not ONLINE_RETAIL.exists(),
    reason=f"the UCI Online Retail file is not at {ONLINE_RETAIL.resolve()}",
)
def test_imported_customer_gets_the_status_of_an_imported_invoice(stack, repo):
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    report = import_online_retail(ONLINE_RETAIL, sessions, limit=3000)
    assert report.adds_up()
    with sessions() as s:
        customer_id = s.scalar(select(Customer.id).where(Customer.external_ref == "17850"))
    assert customer_id is not None

    chat = Chat(stack, f"web-{uuid.uuid4().hex[:12]}")
    repo.link_identity("web", chat.sender_id, customer_id)
    reply = chat.text("where is my order 536365?")
    assert "536365" in reply
    assert "WHITE HANGING HEART T-LIGHT HOLDER".lower() in reply.lower()
    # An invoice of another imported customer stays private.
    other = chat.text("where is my order 536367")
    assert "536367" in other and "ASSORTED COLOUR BIRD ORNAMENT".lower() not in other.lower()
