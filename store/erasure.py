"""Forgetting a customer (GDPR article 17) across the shop database, the tracker store and logs.

What happens to each kind of row:

- deleted: the profile, identities, account link codes and the link attempts of its
  sender ids, browsing events, chat sessions with their outcomes, reviews, tags and
  notes, handoffs with their live messages, NLU corrections, and every Rasa tracker
  event of each sender id ever linked to the customer;
- anonymised, because the shop must keep them: orders, order lines, shipments and
  returns (accounting), offer exposures, coupons and outreach messages (campaign
  results). They move to a fresh placeholder customer with no personal fields
  (``erased-…@erased.invalid``), so nothing links them to the person any more while
  every per-customer count in ``promotions results`` stays exactly as it was. Offer
  texts, sender ids, return reasons (typed by the customer), coupon codes, outreach
  errors and web-chat outreach texts are replaced; order e-mails too, including guest checkouts made with the
  customer's e-mail;
- audit entries that named the customer's conversations or messages keep what was done
  and when, with the target and detail erased.

The tracker store is deleted first, then the shop database in one transaction, then the
tracker again (a turn that slipped in between is caught): a failure part-way leaves the
customer findable, so running ``forget`` again completes the job.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, case, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from console.models import (
    AuditEntry,
    ConversationNote,
    ConversationReview,
    ConversationTag,
    HandoffMessage,
    NluCorrection,
)
from promotions.models import OutreachMessage, PromoCoupon, PromoExposure
from store.db import Clock, utcnow, writing
from store.link_code_mail import ADDRESS_CHANNEL, address_key
from store.link_codes import LinkAttempt, LinkCode
from store.log_scrub import ERASED, customer_patterns, scrub_logs
from store.models import (
    ChatSession,
    Customer,
    Event,
    Handoff,
    Identity,
    Order,
    Return,
    SessionOutcome,
)
from store.tracker_store import TrackerStore

ERASED_EMAIL_DOMAIN = "erased.invalid"

# Every table with a foreign key to customers, chat_sessions or handoffs, and what
# forget_customer does with it (tests/store/test_erasure.py keeps this list complete).
HANDLED_TABLES = {
    "identities": "deleted",
    "events": "deleted",
    "chat_sessions": "deleted",
    "session_outcomes": "deleted",
    "conversation_reviews": "deleted",
    "conversation_tags": "deleted",
    "conversation_notes": "deleted",
    "handoffs": "deleted",
    "handoff_messages": "deleted",
    "orders": "moved to the placeholder, e-mail replaced",
    "returns": "moved to the placeholder, reason replaced",
    "promo_exposures": "moved to the placeholder, text and sender cleared",
    "promo_coupons": "moved to the placeholder, code replaced",
    "outreach_messages": "moved to the placeholder, error and web-chat text cleared",
    "link_codes": "deleted",
}


# What an exposure says about the person and their chat: the offer text (it greets them
# by name), the spec as shown, the sender and the session. Cleared where the column exists.
_EXPOSURE_PERSONAL = {
    name: None
    for name in ("sender_id", "chat_session_id", "message", "offer_spec")
    if name in PromoExposure.__table__.c
}


class UnknownCustomer(LookupError):
    """There is no customer with that id (never was, or already forgotten)."""

    def __init__(self, customer_id: int) -> None:
        super().__init__(
            f"There is no customer {customer_id}: nothing to erase. A customer who was "
            "already forgotten is not known any more; check the id."
        )
        self.customer_id = customer_id


@dataclass
class ErasureReport:
    """What one erasure did; ``reference`` names it in the audit log instead of the customer."""

    reference: str
    sender_ids: int = 0
    tracker_events: int = 0
    log_lines: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int) -> None:
        self.rows[what] = self.rows.get(what, 0) + n


@dataclass(frozen=True)
class _Person:
    """What identifies the customer, read before anything is deleted (for logs and audit)."""

    email: str
    full_name: str | None
    external_ref: str | None


def linked_sender_ids(s: Session, customer_id: int, tracker: TrackerStore | None) -> set[str]:
    """Every conversation sender id that was ever linked to the customer."""
    email = s.scalar(select(Customer.email).where(Customer.id == customer_id))
    queries = [
        select(Identity.channel_user_id).where(Identity.customer_id == customer_id),
        select(ChatSession.sender_id).where(ChatSession.customer_id == customer_id),
        select(Handoff.sender_id).where(Handoff.customer_id == customer_id),
        select(PromoExposure.sender_id).where(PromoExposure.customer_id == customer_id),
        select(PromoCoupon.sender_id).where(PromoCoupon.customer_id == customer_id),
    ]
    senders = {sender for q in queries for sender in s.scalars(q) if sender}
    if email:
        # Guest chats about the customer's orders (a guest proves an order with its e-mail);
        # another customer's chat that asked about her order stays theirs.
        numbers = select(Order.number).where(
            or_(Order.customer_id == customer_id, func.lower(Order.email) == email.lower())
        )
        senders |= set(
            s.scalars(
                select(ChatSession.sender_id)
                .join(SessionOutcome, SessionOutcome.session_id == ChatSession.id)
                .where(ChatSession.customer_id.is_(None), SessionOutcome.ref.in_(numbers))
            )
        )
    if tracker is not None:
        senders |= tracker.senders_linked_to(customer_id, email)
    return senders


def forget_customer(
    sessions: sessionmaker[Session],
    tracker: TrackerStore,
    customer_id: int,
    *,
    actor: str,
    log_dir: Path | None = None,
    clock: Clock = utcnow,
) -> ErasureReport:
    """Erase or anonymise everything held about one customer; raises UnknownCustomer."""
    report = ErasureReport(reference=f"erasure-{secrets.token_hex(6)}")
    with sessions() as s, s.begin():
        if s.get(Customer, customer_id) is None:
            raise UnknownCustomer(customer_id)
        senders = linked_sender_ids(s, customer_id, tracker)
    event_ids = {e["id"] for evs in tracker.events_of(senders).values() for e in evs}
    report.tracker_events += tracker.delete_senders(senders)

    with writing(sessions) as s:
        customer = s.get(Customer, customer_id)
        if customer is None:  # forgotten by someone else in the meantime
            raise UnknownCustomer(customer_id)
        person = _Person(
            customer.email,
            " ".join(n for n in (customer.first_name, customer.last_name) if n) or None,
            customer.external_ref,
        )
        # A sender linked while the tracker was being cleared is caught here.
        senders |= linked_sender_ids(s, customer_id, None)
        _erase_rows(s, customer, senders, event_ids, report, clock())
        s.add(
            AuditEntry(
                at=clock(),
                actor_email=actor[:255],
                action="customer_erased",
                target=report.reference,
                detail={"rows": dict(report.rows), "sender_ids": len(senders)},
            )
        )
    report.sender_ids = len(senders)
    report.tracker_events += tracker.delete_senders(senders)
    if log_dir is not None:
        terms = [person.email, person.full_name or "", person.external_ref or "", *senders]
        report.log_lines = scrub_logs(log_dir, customer_patterns(customer_id, terms))
    return report


def _erase_rows(
    s: Session,
    customer: Customer,
    senders: set[str],
    tracker_event_ids: set[int],
    report: ErasureReport,
    now: datetime,
) -> None:
    customer_id = customer.id
    placeholder = Customer(
        email=f"erased-{secrets.token_hex(8)}@{ERASED_EMAIL_DOMAIN}",
        created_at=now,
        marketing_consent=False,
        email_opt_in=False,
        sms_opt_in=False,
        offers_opt_out=True,
        preferences={},
        tags={"erased": True},
    )
    s.add(placeholder)
    s.flush()

    # Her sessions, and guest sessions on her sender ids (before she was signed in). A
    # sender id another customer used too (a shared browser) keeps that customer's rows.
    session_ids = set(
        s.scalars(
            select(ChatSession.id).where(
                or_(
                    ChatSession.customer_id == customer_id,
                    ChatSession.customer_id.is_(None) & ChatSession.sender_id.in_(senders),
                )
            )
        )
    )
    handoff_ids = set(
        s.scalars(
            select(Handoff.id).where(
                or_(
                    Handoff.customer_id == customer_id,
                    Handoff.customer_id.is_(None) & Handoff.sender_id.in_(senders),
                    Handoff.session_id.in_(session_ids),
                )
            )
        )
    )
    _erase_audit(s, session_ids, tracker_event_ids, customer_id, report)
    _anonymise_promotions(s, customer_id, placeholder.id, session_ids, report)
    _anonymise_orders(s, customer, placeholder, report)

    deletions = [
        ("handoff_messages", delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(handoff_ids))),
        ("handoffs", delete(Handoff).where(Handoff.id.in_(handoff_ids))),
        ("conversation_reviews", delete(ConversationReview).where(ConversationReview.session_id.in_(session_ids))),
        ("conversation_tags", delete(ConversationTag).where(ConversationTag.session_id.in_(session_ids))),
        ("conversation_notes", delete(ConversationNote).where(ConversationNote.session_id.in_(session_ids))),
        ("session_outcomes", delete(SessionOutcome).where(SessionOutcome.session_id.in_(session_ids))),
        ("chat_sessions", delete(ChatSession).where(ChatSession.id.in_(session_ids))),
        ("nlu_corrections", delete(NluCorrection).where(NluCorrection.sender_id.in_(senders))),
        ("identities", delete(Identity).where(Identity.customer_id == customer_id)),
        ("link_codes", delete(LinkCode).where(LinkCode.customer_id == customer_id)),
        ("link_attempts", delete(LinkAttempt).where(LinkAttempt.channel_user_id.in_(senders))),
        # Requests for a code by e-mail are counted under the address's hash.
        ("link_attempts", delete(LinkAttempt).where(LinkAttempt.channel == ADDRESS_CHANNEL,
                                                    LinkAttempt.channel_user_id == address_key(customer.email))),
        ("events", delete(Event).where(Event.customer_id == customer_id)),
    ]  # fmt: skip
    for table, statement in deletions:
        report.count(table, _run(s, statement))
    s.delete(customer)
    report.count("customers", 1)


def _anonymise_promotions(
    s: Session, customer_id: int, placeholder_id: int, session_ids: set[int], report: ErasureReport
) -> None:
    # Sessions of the person's senders may hold another customer's rows only in theory;
    # the foreign keys to the deleted sessions must go either way.
    _run(
        s,
        update(PromoExposure)
        .where(PromoExposure.chat_session_id.in_(session_ids))
        .values(chat_session_id=None),
    )
    s.execute(
        update(PromoCoupon)
        .where(PromoCoupon.chat_session_id.in_(session_ids))
        .values(chat_session_id=None)
    )
    moved = _run(
        s,
        update(PromoExposure)
        .where(PromoExposure.customer_id == customer_id)
        .values(customer_id=placeholder_id, **_EXPOSURE_PERSONAL),
    )
    report.count("promo_exposures", moved)
    # An outreach message counts in its campaign's results; its error may quote the address
    # and a web-chat message's body greets the customer by name. A waiting one is never shown.
    report.count(
        "outreach_messages",
        _run(
            s,
            update(OutreachMessage)
            .where(OutreachMessage.customer_id == customer_id)
            .values(customer_id=placeholder_id, error=None, body=None),
        ),
    )
    coupons = s.scalars(select(PromoCoupon).where(PromoCoupon.customer_id == customer_id)).all()
    for coupon in coupons:
        new_code = f"ERASED-{secrets.token_hex(6).upper()}"
        if coupon.order_number is not None:
            _run(
                s,
                update(Order)
                .where(Order.number == coupon.order_number, Order.coupon_code == coupon.code)
                .values(coupon_code=new_code),
            )
        coupon.code = new_code
        coupon.customer_id = placeholder_id
        coupon.sender_id = None
        coupon.chat_session_id = None
    report.count("promo_coupons", len(coupons))


def _anonymise_orders(
    s: Session, customer: Customer, placeholder: Customer, report: ErasureReport
) -> None:
    owned = or_(
        Order.customer_id == customer.id,
        func.lower(Order.email) == customer.email.lower(),
    )
    report.count(
        "orders",
        _run(
            s,
            update(Order).where(owned, Order.customer_id.is_(None)).values(email=placeholder.email),
        )
        + _run(
            s,
            update(Order)
            .where(Order.customer_id == customer.id)
            .values(customer_id=placeholder.id, email=placeholder.email),
        ),
    )
    order_ids = select(Order.id).where(Order.email == placeholder.email)
    report.count(
        "returns",
        _run(
            s,
            update(Return)
            .where(or_(Return.customer_id == customer.id, Return.order_id.in_(order_ids)))
            .values(
                customer_id=case(
                    (Return.customer_id == customer.id, placeholder.id),
                    else_=Return.customer_id,
                ),
                reason=ERASED,
            ),
        ),
    )


def _erase_audit(
    s: Session,
    session_ids: set[int],
    tracker_event_ids: set[int],
    customer_id: int,
    report: ErasureReport,
) -> None:
    """Audit entries keep who did what and when; what names the customer is erased."""
    targets = {f"conversation {i}" for i in session_ids}
    targets |= {f"message {i}" for i in tracker_event_ids}
    targets.add(f"customer {customer_id}")
    erased = 0
    for batch in _batches(sorted(targets)):
        erased += _run(
            s,
            update(AuditEntry).where(AuditEntry.target.in_(batch)).values(target=ERASED, detail={}),
        )
    report.count("console_audit_log", erased)


def _run(s: Session, statement: Executable) -> int:
    """Rows an UPDATE or DELETE touched (SQLAlchemy's advised cast to CursorResult)."""
    return cast(CursorResult[Any], s.execute(statement)).rowcount


def _batches(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
