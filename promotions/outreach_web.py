"""Outreach in the web chat: an offer waiting for the customer's next signed-in visit.

**Who it reaches.** A customer who has signed in to the web chat before: at least one
``identities`` row with channel ``web`` (made only on proof, see ``console.chat.pages``).
A guest who never signed in cannot be told apart from anyone else, so is never reached.

**Sending** stores the rendered offer in ``outreach_messages.body`` and records the row
``sent``: for this channel ``sent`` means *waiting*, and ``delivered_at`` still NULL says
nobody has seen it yet. No outside service is called, so a web row never bounces.

**Delivery.** When the customer next opens the chat signed in, the chat's socket calls
``take_waiting``: each waiting row is marked delivered with one conditional ``UPDATE``
(``delivered_at IS NULL``), so of two tabs opening at once only one shows it, and it is
shown once. The offer is the exposure written when the row was queued, the customer's
latest, so its buttons (``/accept_offer`` ...) and ``promotions.service.accept`` treat it
like an offer made in the chat. A message older than an offer stays open
(``OFFER_OPEN_FOR``) is not shown: its "yes" could no longer be honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from promotions.models import OutreachMessage, PromoExposure
from promotions.outreach_telegram import CHANNEL as TELEGRAM
from promotions.service import OFFER_OPEN_FOR
from store.db import writing
from store.models import Identity

CHANNEL = "web"
SENT = (
    "sent"  # promotions.outreach_outbox.Status.SENT (imported there; spelled here to avoid a cycle)
)


@dataclass(frozen=True)
class WaitingMessage:
    """A web-chat message taken for showing: its text and the offer's quick replies."""

    id: int
    text: str
    buttons: tuple[dict[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The message as the chat page shows a bot message (``BotMessage.to_json``)."""
        return {
            "text": self.text,
            "buttons": [{"title": b["title"], "payload": b["payload"]} for b in self.buttons],
            "image": None,
            "custom": None,
        }


def web_chat_customers(sessions: sessionmaker[Session]) -> set[int]:
    """Ids of the customers who have signed in to the web chat at least once."""
    query = select(Identity.customer_id).where(Identity.channel == CHANNEL).distinct()
    with sessions() as s:
        return set(s.scalars(query))


def take_waiting(
    sessions: sessionmaker[Session], customer_id: int, now: datetime
) -> list[WaitingMessage]:
    """The customer's waiting web-chat messages, each marked delivered now; oldest first.

    A message another tab (or console instance) took first is not returned: the
    ``delivered_at IS NULL`` condition makes the mark-and-take atomic per row.
    """
    query = (
        select(OutreachMessage.id, OutreachMessage.body, PromoExposure.offer_spec)
        .join(PromoExposure, OutreachMessage.exposure_id == PromoExposure.id)
        .where(
            OutreachMessage.customer_id == customer_id,
            OutreachMessage.channel == CHANNEL,
            OutreachMessage.status == SENT,
            OutreachMessage.delivered_at.is_(None),
            OutreachMessage.body.is_not(None),
            PromoExposure.at >= now - OFFER_OPEN_FOR,
        )
        .order_by(OutreachMessage.id)
    )
    taken: list[WaitingMessage] = []
    with writing(sessions) as s:
        for message_id, body, spec in s.execute(query).all():
            result = s.execute(
                update(OutreachMessage)
                .where(OutreachMessage.id == message_id, OutreachMessage.delivered_at.is_(None))
                .values(delivered_at=now)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                buttons = tuple((spec or {}).get("buttons") or ())
                taken.append(WaitingMessage(message_id, str(body), buttons))
    return taken


def put_back(sessions: sessionmaker[Session], message_ids: list[int]) -> None:
    """Mark taken messages waiting again: the chat closed before they could be shown."""
    if not message_ids:
        return
    with writing(sessions) as s:
        s.execute(
            update(OutreachMessage)
            .where(OutreachMessage.id.in_(message_ids))
            .values(delivered_at=None)
        )


def shown_since(sessions: sessionmaker[Session], exposure_id: int, since: datetime | None) -> bool:
    """True when the outreach message of ``exposure_id`` reached the customer's chat after
    ``since`` (naive UTC; None: at any time): shown in the web chat, or sent in Telegram.

    Either way Rasa's tracker never held it as the bot's reply, so a typed answer to it
    needs this to be understood (``actions.waiting_offers``).
    """
    reached = or_(
        and_(OutreachMessage.channel == CHANNEL, OutreachMessage.delivered_at.is_not(None)),
        and_(OutreachMessage.channel == TELEGRAM, OutreachMessage.status == SENT),
    )
    query = select(OutreachMessage.id).where(OutreachMessage.exposure_id == exposure_id, reached)
    if since is not None:
        at = func.coalesce(OutreachMessage.delivered_at, OutreachMessage.sent_at)
        query = query.where(at > since)
    with sessions() as s:
        return s.scalar(query.limit(1)) is not None
