"""Linking a channel's user id to a customer inside an open unit of work.

One rule for every way a link is made (a proven web identity, a Telegram link code): a new
link is added, an existing one moves to the new customer and forgets the shop id that
vouched for the old one, and repeating a link changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Identity


def put_identity(
    s: Session, channel: str, channel_user_id: str, customer_id: int, now: datetime
) -> Identity:
    """The identity row of ``(channel, channel_user_id)``, now pointing at ``customer_id``."""
    identity = s.scalar(
        select(Identity).where(
            Identity.channel == channel, Identity.channel_user_id == channel_user_id
        )
    )
    if identity is None:
        identity = Identity(
            channel=channel,
            channel_user_id=channel_user_id,
            customer_id=customer_id,
            created_at=now,
        )
        s.add(identity)
    elif identity.customer_id != customer_id:
        identity.customer_id = customer_id
        # The shop id that vouched for the old link says nothing about the new customer.
        identity.external_id = None
    return identity
