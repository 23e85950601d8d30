"""Everything held about one customer, as one JSON document (GDPR article 15, access).

The same rows :mod:`store.erasure` deletes or anonymises, read instead: the profile,
identities, orders with their lines, shipments and returns, browsing events, chat
sessions with their outcomes, staff reviews, tags and notes about those chats, handoffs
with their live messages, offer exposures and coupons, NLU corrections of their
messages, and every event of their conversations in Rasa's tracker store.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from console.models import (
    ConversationNote,
    ConversationReview,
    ConversationTag,
    HandoffMessage,
    NluCorrection,
)
from promotions.models import PromoCoupon, PromoExposure
from store.db import Clock, utcnow
from store.erasure import UnknownCustomer, linked_sender_ids
from store.models import (
    ChatSession,
    Customer,
    Event,
    Handoff,
    Identity,
    Order,
    OrderLine,
    Return,
    SessionOutcome,
    Shipment,
)
from store.tracker_store import TrackerStore

EXPORT_FORMAT = "concierge-customer-export/1"


def export_customer(
    sessions: sessionmaker[Session],
    tracker: TrackerStore,
    customer_id: int,
    clock: Clock = utcnow,
) -> dict[str, Any]:
    """One JSON-ready document of all data about the customer; raises UnknownCustomer."""
    with sessions() as s, s.begin():
        customer = s.get(Customer, customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        senders = linked_sender_ids(s, customer_id, tracker)
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": _value(clock()),
            "customer": _row(customer),
            "identities": _rows(s, select(Identity).where(Identity.customer_id == customer_id)),
        }
        document.update(_orders(s, customer))
        document["browsing_events"] = _rows(
            s, select(Event).where(Event.customer_id == customer_id).order_by(Event.at)
        )
        document.update(_conversations(s, customer_id, senders))
        document["offer_exposures"] = _rows(
            s, select(PromoExposure).where(PromoExposure.customer_id == customer_id)
        )
        document["coupons"] = _rows(
            s, select(PromoCoupon).where(PromoCoupon.customer_id == customer_id)
        )
        document["nlu_corrections"] = _rows(
            s, select(NluCorrection).where(NluCorrection.sender_id.in_(senders))
        )
    document["tracker_events"] = tracker.events_of(sorted(senders))
    return document


def _orders(s: Session, customer: Customer) -> dict[str, Any]:
    # Guest checkouts with her e-mail are hers too, however it was typed.
    owned = or_(Order.customer_id == customer.id, func.lower(Order.email) == customer.email.lower())
    order_ids = select(Order.id).where(owned)
    return {
        "orders": _rows(s, select(Order).where(owned).order_by(Order.placed_at)),
        "order_lines": _rows(s, select(OrderLine).where(OrderLine.order_id.in_(order_ids))),
        "shipments": _rows(s, select(Shipment).where(Shipment.order_id.in_(order_ids))),
        "returns": _rows(
            s,
            select(Return).where(
                or_(Return.customer_id == customer.id, Return.order_id.in_(order_ids))
            ),
        ),
    }


def _conversations(s: Session, customer_id: int, senders: set[str]) -> dict[str, Any]:
    # As erasure sees them: hers, and guest sessions on her sender ids (not another
    # customer's session on a computer they shared).
    mine = or_(
        ChatSession.customer_id == customer_id,
        ChatSession.customer_id.is_(None) & ChatSession.sender_id.in_(senders),
    )
    session_ids = select(ChatSession.id).where(mine)
    handoffs = or_(
        Handoff.customer_id == customer_id,
        Handoff.customer_id.is_(None) & Handoff.sender_id.in_(senders),
        Handoff.session_id.in_(session_ids),
    )
    return {
        "chat_sessions": _rows(s, select(ChatSession).where(mine).order_by(ChatSession.started_at)),
        "session_outcomes": _rows(
            s, select(SessionOutcome).where(SessionOutcome.session_id.in_(session_ids))
        ),
        "conversation_reviews": _rows(
            s, select(ConversationReview).where(ConversationReview.session_id.in_(session_ids))
        ),
        "conversation_tags": _rows(
            s, select(ConversationTag).where(ConversationTag.session_id.in_(session_ids))
        ),
        "conversation_notes": _rows(
            s, select(ConversationNote).where(ConversationNote.session_id.in_(session_ids))
        ),
        "handoffs": _rows(s, select(Handoff).where(handoffs)),
        "handoff_messages": _rows(
            s,
            select(HandoffMessage).where(
                HandoffMessage.handoff_id.in_(select(Handoff.id).where(handoffs))
            ),
        ),
    }


def _rows(s: Session, query: Any) -> list[dict[str, Any]]:
    return [_row(r) for r in s.scalars(query)]


def _row(row: DeclarativeBase) -> dict[str, Any]:
    """Every column of a row, by column name (a column added later is exported too)."""
    return {c.key: _value(getattr(row, c.key)) for c in row.__mapper__.column_attrs}


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
