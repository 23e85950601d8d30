"""The shop's data: customers, catalogue, orders, returns, interactions and chat sessions.

Declarative SQLAlchemy 2 models. The schema itself is created by Alembic migrations
(``store/migrations``); ``Base.metadata`` is what those migrations are written against.
Order numbers are strings because real shops (and the UCI Online Retail file) use
prefixes such as ``C536379`` for credit notes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Base class of every table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}
    # Every model here maps a plain table, so say so: SQLAlchemy types ``__table__`` as any
    # FromClause (a class may map a subquery), which bulk inserts and id lookups cannot take.
    __table__: ClassVar[Table]


# Order statuses, in lifecycle order. ``cancelled`` is terminal; a return does not
# change the order status (the return row carries its own state).
ORDER_STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled")
RETURN_STATUSES = ("requested", "approved", "received", "refunded", "rejected")
HANDOFF_STATUSES = ("waiting", "taken", "closed")
EVENT_KINDS = ("view", "add_to_cart", "search", "wishlist")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The shop's own id for this customer: what its server signs identities with.
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Consent and contact preferences: marketing offers are only made with consent.
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    email_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    offers_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_channel: Mapped[str | None] = mapped_column(String(20))
    # IANA time zone (``Europe/Berlin``) for outreach quiet hours; NULL: the campaign's default.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Generator-made taste (category -> weight, price band); models learn it from orders.
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Segment / lifecycle / propensity tags written by recsys.
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)

    orders: Mapped[list[Order]] = relationship(back_populates="customer")
    identities: Mapped[list[Identity]] = relationship(back_populates="customer")

    @property
    def display_name(self) -> str:
        return self.first_name or self.email.split("@")[0]


class Identity(Base):
    """Maps a channel's user id (e.g. a web chat sender id) to a customer, on proof."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    channel_user_id: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The shop's own id of the customer (``Customer.external_ref``) whose signed identity
    # proved this link; NULL for links made otherwise. Finds every chat of a shop account.
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(64), index=True)
    colour: Mapped[str | None] = mapped_column(String(32))
    price: Mapped[float] = mapped_column(Float)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    # NULL for guest checkouts; ``email`` is then the only proof of ownership.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    placed_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    total: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    country: Mapped[str | None] = mapped_column(String(64))
    coupon_code: Mapped[str | None] = mapped_column(String(64), index=True)
    # ``order`` for a sale, ``credit_note`` for an imported cancellation invoice.
    kind: Mapped[str] = mapped_column(String(20), default="order")

    customer: Mapped[Customer | None] = relationship(back_populates="orders")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Shipment.id"
    )
    returns: Mapped[list[Return]] = relationship(back_populates="order", order_by="Return.id")


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[float] = mapped_column(Float)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(64))
    shipped_at: Mapped[datetime] = mapped_column(DateTime)
    estimated_delivery: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)

    order: Mapped[Order] = relationship(back_populates="shipments")


class Return(Base):
    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    refund_amount: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    order: Mapped[Order] = relationship(back_populates="returns")
    line: Mapped[OrderLine] = relationship()


class Event(Base):
    """A browsing interaction: product views, add-to-cart, searches."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(20))
    query: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ChatSession(Base):
    """One Rasa conversation session and its business outcomes."""

    __tablename__ = "chat_sessions"
    __table_args__ = (Index("ix_chat_sessions_sender_started", "sender_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    intents: Mapped[list[Any]] = mapped_column(default=list)
    # The open matter a returning customer is reminded of, e.g. {"kind": "order", "ref": "10234"}.
    open_matter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rating: Mapped[int | None] = mapped_column(Integer)

    outcomes: Mapped[list[SessionOutcome]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionOutcome.id"
    )


class Outcome(StrEnum):
    """A business outcome of a chat session (docs/architecture.md, "Identity and sessions").

    One definition: the actions record these, the console filters and counts them, and
    ``record_outcome`` refuses any other kind, so a misspelt kind fails in a test.
    """

    ORDER_LOOKED_UP = "order_looked_up"
    ORDER_LOOKUP_REFUSED = "order_lookup_refused"
    RETURN_CREATED = "return_created"
    RETURN_REFUSED = "return_refused"
    RETURN_STATUS_CHECKED = "return_status_checked"
    ORDER_CANCELLED = "order_cancelled"
    CANCEL_REFUSED = "cancel_refused"
    FAQ_ANSWERED = "faq_answered"
    HANDOFF_REQUESTED = "handoff_requested"
    RECOMMENDATIONS_SHOWN = "recommendations_shown"
    SEARCH_FOUND_NOTHING = "search_found_nothing"
    OFFER_SHOWN = "offer_shown"
    # A campaign decided for this moment, but the customer is in its control group or the
    # global hold-out: recorded so results compare like with like.
    OFFER_WITHHELD = "offer_withheld"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    # A "yes" that acceptance re-checks refused (campaign paused or ended, opted out).
    OFFER_REFUSED = "offer_refused"
    OFFERS_OPTED_OUT = "offers_opted_out"
    COUPON_ISSUED = "coupon_issued"
    RATING = "rating"


class SessionOutcome(Base):
    __tablename__ = "session_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    ref: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(DateTime)

    session: Mapped[ChatSession] = relationship(back_populates="outcomes")


class Handoff(Base):
    """A customer's request for a human; the console's queue reads these."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("chat_sessions.id"))
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True, default="waiting")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    agent: Mapped[str | None] = mapped_column(String(100))
