"""The small shop every full-stack test talks about: two customers, a guest, known orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

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


def fill_shop(var_dir: Path) -> Shop:
    sessions = migrated_store(var_dir, "concierge.db")
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
    return Shop(anna, ben, shipped, delivered, pending, ben_order, guest)
