"""The outreach outbox (``outreach_messages``): the SQL that makes each message go out once.

A message's life: ``queue`` writes the exposure and its outbox row in ONE transaction, under
a unique idempotency key (``campaign:customer:day``), so a second run, or two runs at once,
cannot queue the same message twice. ``claim`` moves a row from ``pending`` to ``sending``
and commits BEFORE the SMTP call; ``finish`` records ``sent`` / ``bounced`` / ``failed``
after it. A run that dies between the two leaves the row in ``sending``: nobody knows
whether the relay took the message, so it is never sent again; ``give_up_stuck`` marks it
``failed`` once it is older than any SMTP call can take (see ``SENDING_TIMEOUT``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from promotions.assignment import Arm
from promotions.models import OutreachMessage, PromoCampaign, PromoExposure
from promotions.outreach_telegram import CHANNEL as TELEGRAM
from promotions.outreach_telegram import chat_id_of
from promotions.outreach_web import CHANNEL as WEB
from promotions.outreach_web import web_chat_customers
from promotions.triggers import Trigger
from store.db import writing
from store.models import Customer, Identity

# Far longer than one SMTP exchange (its timeout is 30 s): a row still ``sending`` after
# this was left by a run that stopped.
SENDING_TIMEOUT = timedelta(minutes=15)
STUCK_ERROR = (
    "the run stopped while sending, before the result was recorded; not sent again, "
    "as it may have been delivered"
)


class Status(StrEnum):
    """An outbox row's state (``outreach_messages.status``)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    SKIPPED = "skipped"  # control or hold-out (recorded, never sent), or no longer sendable


@dataclass(frozen=True)
class Contact:
    """What choosing a channel needs to know about a customer."""

    customer_id: int
    consent: bool
    opted_out: bool
    email_opt_in: bool
    preferred_channel: str | None
    telegram_chat: str | None = None  # the chat id of a linked Telegram identity
    web_chat: bool = False  # has signed in to the web chat (promotions.outreach_web)
    timezone: str | None = None  # IANA name from the store, unchecked; None: campaign default


@dataclass(frozen=True)
class Queued:
    """One decision to write: the exposure and its outbox row."""

    customer_id: int
    campaign_key: str
    arm: Arm
    channel: str
    idempotency_key: str
    status: Status
    variant_key: str | None = None  # the rest only for an offer
    message: str | None = None
    offer_spec: dict[str, Any] | None = None
    note: str | None = None  # why a row starts as skipped (control, hold-out)


@dataclass(frozen=True)
class Pending:
    """A queued message ready to send, with what sending needs."""

    id: int
    campaign_key: str
    customer_id: int
    channel: str
    idempotency_key: str
    attempts: int
    text: str
    email: str
    first_name: str | None
    still_wanted: bool  # consent, no opt-out and the channel's opt-in, checked at send time
    telegram_chat: str | None = None  # for a Telegram row: the linked chat, read at send time
    buttons: tuple[dict[str, str], ...] = ()  # the offer's quick replies, as rendered
    timezone: str | None = None  # the customer's, for quiet hours at send time


class Outbox:
    """The outbox rows and the exposures written with them."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def contacts(self) -> list[Contact]:
        """Every customer's consent flags, channel preference, linked chats and time zone, by id."""
        chats = self.telegram_chats()
        web = web_chat_customers(self.sessions)
        query = select(
            Customer.id,
            Customer.marketing_consent,
            Customer.offers_opt_out,
            Customer.email_opt_in,
            Customer.preferred_channel,
            Customer.timezone,
        ).order_by(Customer.id)
        with self.sessions() as s:
            return [
                Contact(
                    cid,
                    bool(consent),
                    bool(out),
                    bool(email),
                    preferred,
                    chats.get(cid),
                    web_chat=cid in web,
                    timezone=zone,
                )
                for cid, consent, out, email, preferred, zone in s.execute(query)
            ]

    def telegram_chats(self) -> dict[int, str]:
        """Customer id -> chat id of their linked Telegram identity (the latest linked)."""
        query = (
            select(Identity.customer_id, Identity.channel_user_id)
            .where(Identity.channel == TELEGRAM)
            .order_by(Identity.created_at, Identity.id)
        )
        chats: dict[int, str] = {}
        with self.sessions() as s:
            for customer_id, channel_user_id in s.execute(query):
                chat = chat_id_of(channel_user_id)
                if chat is not None:
                    chats[customer_id] = chat
        return chats

    def queue(self, item: Queued, trigger: Trigger, at: datetime) -> int | None:
        """Write the exposure and outbox row together; None when the key was already used."""
        try:
            with writing(self.sessions) as s:
                campaign_id = s.scalar(
                    select(PromoCampaign.id).where(PromoCampaign.key == item.campaign_key)
                )
                exposure = PromoExposure(
                    customer_id=item.customer_id,
                    campaign_id=campaign_id,
                    arm=item.arm,
                    variant_key=item.variant_key,
                    trigger=trigger,
                    message=item.message,
                    offer_spec=item.offer_spec,
                    at=at,
                )
                s.add(exposure)
                s.flush()
                row = OutreachMessage(
                    campaign_id=campaign_id,
                    customer_id=item.customer_id,
                    exposure_id=exposure.id,
                    channel=item.channel,
                    idempotency_key=item.idempotency_key,
                    status=item.status,
                    attempts=0,
                    created_at=at,
                    error=item.note,
                )
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError:
            return None  # the same message was queued before (or by a run alongside)

    def give_up_stuck(self, now: datetime) -> int:
        """Mark rows left in ``sending`` longer than ``SENDING_TIMEOUT`` failed; how many."""
        with writing(self.sessions) as s:
            result = s.execute(
                update(OutreachMessage)
                .where(
                    OutreachMessage.status == Status.SENDING,
                    OutreachMessage.sending_at < now - SENDING_TIMEOUT,
                )
                .values(status=Status.FAILED, error=STUCK_ERROR)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def pending(self) -> list[Pending]:
        """Messages waiting to be sent (new ones and temporary failures), oldest first."""
        query = (
            select(
                OutreachMessage,
                PromoCampaign.key,
                PromoExposure.message,
                PromoExposure.offer_spec,
                Customer,
            )
            .join(PromoCampaign, OutreachMessage.campaign_id == PromoCampaign.id)
            .join(PromoExposure, OutreachMessage.exposure_id == PromoExposure.id)
            .join(Customer, OutreachMessage.customer_id == Customer.id)
            .where(OutreachMessage.status == Status.PENDING)
            .order_by(OutreachMessage.created_at, OutreachMessage.id)
        )
        chats = self.telegram_chats()
        web = web_chat_customers(self.sessions)
        with self.sessions() as s:
            return [
                Pending(
                    id=row.id,
                    campaign_key=key,
                    customer_id=row.customer_id,
                    channel=row.channel,
                    idempotency_key=row.idempotency_key,
                    attempts=row.attempts,
                    text=message or "",
                    email=customer.email,
                    first_name=customer.first_name,
                    still_wanted=bool(
                        customer.marketing_consent
                        and not customer.offers_opt_out
                        and (row.channel != "email" or customer.email_opt_in)
                        and (row.channel != TELEGRAM or row.customer_id in chats)
                        and (row.channel != WEB or row.customer_id in web)
                    ),
                    telegram_chat=chats.get(row.customer_id),
                    buttons=tuple((spec or {}).get("buttons") or ()),
                    timezone=customer.timezone,
                )
                for row, key, message, spec, customer in s.execute(query)
            ]

    def claim(self, message_id: int, now: datetime) -> bool:
        """Move a pending row to ``sending`` and commit; False when another run took it."""
        with writing(self.sessions) as s:
            result = s.execute(
                update(OutreachMessage)
                .where(OutreachMessage.id == message_id, OutreachMessage.status == Status.PENDING)
                .values(
                    status=Status.SENDING,
                    sending_at=now,
                    attempts=OutreachMessage.attempts + 1,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def finish(
        self,
        message_id: int,
        status: Status,
        now: datetime,
        error: str | None = None,
        *,
        body: str | None = None,
    ) -> None:
        """Record how a claimed (or still pending) row ended; ``sent`` stamps ``sent_at``.

        ``body`` is the text of a web-chat message, left waiting for the customer's visit.
        """
        with writing(self.sessions) as s:
            row = s.get(OutreachMessage, message_id)
            if row is None:
                return
            row.status = status
            row.error = error[:500] if error else None
            if status == Status.SENT:
                row.sent_at = now
                if body is not None:
                    row.body = body


def stop_email(sessions: sessionmaker[Session], customer_id: int) -> bool:
    """Turn the customer's e-mail opt-in off at once; False when there is no such customer.

    Rows still ``pending`` for them are not deleted: the send step re-reads the opt-in and
    marks them ``skipped``, so the outbox keeps the record of what was planned.
    """
    with writing(sessions) as s:
        customer = s.get(Customer, customer_id)
        if customer is None:
            return False
        customer.email_opt_in = False
        return True
