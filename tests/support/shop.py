"""The small shop every full-stack test talks about: three customers, a guest, known orders.

Like ``make data``, it loads the sample campaigns with their global settings; of the
customers only Clara (consenting, lapsed, back for a second chat) is eligible for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from demo_shop.fixtures import CLARA_EMAIL, CLARA_ID, CLARA_LAST_ORDER_DAYS
from promotions.files import SAMPLE_DIR, read_campaign_dir
from promotions.repository import PromotionRepository
from store.db import make_engine, make_session_factory, upgrade
from store.models import ChatSession, Customer
from tests.factories import add_customer, add_order, add_product, migrated_store


@dataclass
class Shop:
    """The known rows the conversations talk about."""

    anna_id: int
    ben_id: int
    anna_shipped: Any
    anna_delivered: Any
    anna_pending: Any
    ben_order: Any
    guest_order: Any
    clara_id: int


def add_clara(sessions: sessionmaker[Session], now: datetime, product_ids: list[int]) -> int:
    """Clara as the demo data has her: her id, consent, orders and one earlier chat."""
    with sessions() as s, s.begin():
        # Her fixed id, not the next free one: promotion arms are a hash of the id.
        s.add(
            Customer(
                id=CLARA_ID,
                external_ref="shop-clara",  # the shop's id the demo picker signs her in by
                email=CLARA_EMAIL,
                first_name="Clara",
                last_name="Evans",
                country="United Kingdom",
                city="Bristol",
                marketing_consent=True,
                email_opt_in=True,
                created_at=now - timedelta(days=400),
            )
        )
    last = None
    for days_ago, product_id in zip((320, 190, CLARA_LAST_ORDER_DAYS), product_ids, strict=True):
        last = add_order(
            sessions,
            customer_id=CLARA_ID,
            status="delivered",
            placed_at=now - timedelta(days=days_ago),
            lines=[(product_id, 2)],
        )
    assert last is not None
    started = now - timedelta(days=CLARA_LAST_ORDER_DAYS - 1)
    with sessions() as s, s.begin():
        s.add(
            ChatSession(
                sender_id="web-demo-clara-1",
                customer_id=CLARA_ID,
                channel="web",
                started_at=started,
                last_activity_at=started + timedelta(minutes=4),
                ended_at=started + timedelta(minutes=4),
                turns=2,
                intents=["greet", "order_status"],
            )
        )
    return CLARA_ID


def load_sample_campaigns(sessions: sessionmaker[Session]) -> None:
    """The promotions package's sample campaigns and global settings, as ``make data`` loads."""
    sample = read_campaign_dir(SAMPLE_DIR)
    repo = PromotionRepository(sessions)
    for campaign in sample.campaigns:
        repo.save_campaign(campaign)
    if sample.settings:
        repo.save_settings(sample.settings)


def fill_shop(var_dir: Path, db_url: str | None = None) -> Shop:
    """The integration tests' shop, in ``var_dir/concierge.db`` or the database at ``db_url``."""
    if db_url is None:
        sessions = migrated_store(var_dir, "concierge.db")
    else:
        upgrade(db_url)
        sessions = make_session_factory(make_engine(db_url))
    now = datetime.utcnow()
    anna = add_customer(sessions, email="anna.smith@example.com", first_name="Anna")
    ben = add_customer(sessions, email="ben.jones@example.com", first_name="Ben", last_name="Jones")
    lamp = add_product(sessions, title="Brass Bedside Lamp", category="lighting", price=45.0)
    mug = add_product(sessions, title="Speckled Stoneware Mug", category="kitchen", price=12.5)
    shipped = add_order(
        sessions,
        customer_id=anna,
        status="shipped",
        placed_at=now - timedelta(days=2),
        lines=[(lamp, 1)],
        carrier="DPD",
    )
    delivered = add_order(
        sessions,
        customer_id=anna,
        status="delivered",
        placed_at=now - timedelta(days=8),
        lines=[(mug, 2)],
    )
    pending = add_order(
        sessions,
        customer_id=anna,
        status="pending",
        placed_at=now - timedelta(hours=3),
        lines=[(mug, 1)],
    )
    ben_order = add_order(sessions, customer_id=ben, status="shipped", lines=[(lamp, 1)])
    guest = add_order(
        sessions,
        customer_id=None,
        email="guest.buyer@example.org",
        status="processing",
        lines=[(mug, 1)],
    )
    clara = add_clara(sessions, now, [mug, lamp, mug])
    load_sample_campaigns(sessions)
    return Shop(anna, ben, shipped, delivered, pending, ben_order, guest, clara)
