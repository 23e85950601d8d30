"""Tables of the promotions: campaigns and variants, exposures, coupons and global settings.

They live on the shop's ``store.models.Base`` so one Alembic history covers the whole
database (revision ``0002_promotions``). A customer's opt-out is the shop's own
``customers.offers_opt_out`` flag, so every channel honours it at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models import Base

# An exposure's ``arm`` and ``response`` hold the values of promotions.assignment.Arm and
# promotions.decision.Response.


class PromoCampaign(Base):
    """A campaign as the marketer defined it (see promotions.campaigns.Campaign)."""

    __tablename__ = "promo_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    triggers: Mapped[list[Any]] = mapped_column(default=list)
    eligibility: Mapped[str] = mapped_column(Text)
    control_share: Mapped[float] = mapped_column(Float)
    max_per_customer: Mapped[int | None] = mapped_column(Integer)
    cooldown_days: Mapped[int] = mapped_column(Integer)
    coupon_budget: Mapped[int | None] = mapped_column(Integer)
    # Coupons issued so far, counted up atomically as each is issued (never recounted from
    # promo_coupons), so the budget holds under concurrent accepts on any database and
    # after erasure removes coupon rows (revision 0007_offer_acceptance).
    coupons_issued: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Proactive outreach (schedule, channels, quiet hours; promotions.outreach), or None for
    # a campaign that only makes offers inside conversations (revision 0011_outreach).
    outreach: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Who among the eligible it offers to ({by: uplift, top_share | min_uplift};
    # promotions.targeting), or None for everyone (revision 0013_campaign_targeting).
    targeting: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    variants: Mapped[list[PromoVariant]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="PromoVariant.id"
    )


class PromoVariant(Base):
    __tablename__ = "promo_variants"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("promo_campaigns.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float)
    template: Mapped[str] = mapped_column(Text)
    accepted_template: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    coupon: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    campaign: Mapped[PromoCampaign] = relationship(back_populates="variants")


class PromoSettings(Base):
    """The global rules (one row; defaults apply until a marketer saves some)."""

    __tablename__ = "promo_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holdout_share: Mapped[float] = mapped_column(Float)
    max_offers_per_day: Mapped[int] = mapped_column(Integer)
    max_offers_per_week: Mapped[int] = mapped_column(Integer)
    attribution_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class PromoExposure(Base):
    """One assignment at a conversation moment: offer shown, or control / hold-out not shown."""

    __tablename__ = "promo_exposures"
    __table_args__ = (
        Index("ix_promo_exposures_customer_at", "customer_id", "at"),
        Index("ix_promo_exposures_campaign_arm", "campaign_id", "arm"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("promo_campaigns.id"))
    arm: Mapped[str] = mapped_column(String(16))
    variant_key: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(40))
    sender_id: Mapped[str | None] = mapped_column(String(255), index=True)
    chat_session_id: Mapped[int | None] = mapped_column(ForeignKey("chat_sessions.id"))
    message: Mapped[str | None] = mapped_column(Text)
    # What accepting this offer gives, as it was shown (promotions.acceptance.ShownOffer):
    # a later edit of the campaign does not change it. None for control, hold-out and
    # offers recorded before revision 0007_offer_acceptance.
    offer_spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime)
    response: Mapped[str | None] = mapped_column(String(16))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)

    campaign: Mapped[PromoCampaign] = relationship()


class PromoCoupon(Base):
    """An issued coupon. One per exposure: the unique constraint makes issuing idempotent."""

    __tablename__ = "promo_coupons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    exposure_id: Mapped[int] = mapped_column(ForeignKey("promo_exposures.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("promo_campaigns.id"), index=True)
    variant_key: Mapped[str] = mapped_column(String(64))
    sender_id: Mapped[str | None] = mapped_column(String(255))
    chat_session_id: Mapped[int | None] = mapped_column(ForeignKey("chat_sessions.id"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    min_basket: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime)
    order_number: Mapped[str | None] = mapped_column(String(32), unique=True)

    campaign: Mapped[PromoCampaign] = relationship()


class OutreachMessage(Base):
    """One proactive message to one customer: the outbox row that makes sending exactly-once.

    ``status`` goes pending -> sending -> sent (or failed / bounced / skipped); a row found
    in ``sending`` after a crash is not sent again blindly (see promotions.outreach).
    """

    __tablename__ = "outreach_messages"
    __table_args__ = (
        Index("ix_outreach_messages_campaign_customer", "campaign_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("promo_campaigns.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    exposure_id: Mapped[int | None] = mapped_column(ForeignKey("promo_exposures.id"))
    channel: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sending_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(String(500))
    # Revision 0012: the text of a message waiting in the web chat (NULL for other channels),
    # when the web chat showed it, and the first tracked open and click.
    body: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime)
