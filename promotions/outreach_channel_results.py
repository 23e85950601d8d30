"""A proactive campaign's results by channel: what the messages did, and what they caused.

For each channel the outbox used for the campaign: customers assigned (the offer's arm and
the control group, whose rows name the channel they would have been sent by), messages
sent, delivered (the web chat shows a waiting message on the customer's next visit),
opened and clicked (tracked e-mail), and the experiment's figures for the offer against
the control group *of the same channel*: coupons redeemed, conversions and the lift, with
``promotions.results``'s arithmetic (``_arm``: the same attribution window, the same Wilson
intervals and two-proportion test). So e-mail is compared with e-mail's control, not with
the whole campaign: channels reach different customers.

A customer counts once per campaign, in the channel and arm of their first outreach row.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from promotions.assignment import Arm
from promotions.decision import Response
from promotions.models import OutreachMessage, PromoCampaign, PromoCoupon, PromoExposure
from promotions.repository import PromotionRepository
from promotions.results import ArmResult, _arm
from store.models import Order

SENT = "sent"  # promotions.outreach_outbox.Status.SENT; see promotions.outreach_results


@dataclass(frozen=True)
class ChannelResult:
    """One channel of a proactive campaign: its messages and its experiment."""

    channel: str
    sent: int
    delivered: int  # web chat: shown on a visit; other channels: 0 (not observable)
    opened: int  # e-mail with tracking: first open recorded (a click counts as an open)
    clicked: int
    offer: ArmResult  # customers sent the offer on this channel (every variant together)
    control: ArmResult  # this channel's control group: assigned, sent nothing


@dataclass(frozen=True)
class _Row:
    channel: str
    status: str
    delivered: bool
    opened: bool
    clicked: bool
    customer_id: int
    arm: str
    at: datetime
    accepted: bool


def channel_results(
    sessions: sessionmaker[Session], campaign_key: str
) -> tuple[ChannelResult, ...]:
    """The campaign's results per channel, channels by name; empty without outreach."""
    window = timedelta(days=PromotionRepository(sessions).settings().attribution_days)
    rows = _first_rows(sessions, campaign_key)
    if not rows:
        return ()
    redeemed, orders = _outcome_facts(sessions, campaign_key, {r.customer_id for r in rows})

    def outcome(customer_id: int, since: datetime) -> tuple[bool, float]:
        placed = orders.get(customer_id, [])
        start = bisect_right(placed, (since, float("inf")))
        inside = [t for at, t in placed[start:] if at <= since + window]
        return bool(inside), sum(inside)

    by_channel: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        by_channel[row.channel].append(row)
    results = []
    for channel, items in sorted(by_channel.items()):
        outcomes = {(channel, r.customer_id): outcome(r.customer_id, r.at) for r in items}
        accepted = {(channel, r.customer_id) for r in items if r.accepted}
        paid = {(channel, c) for c in redeemed}

        def arm_of(label: str, arms: tuple[str, ...], control: ArmResult | None) -> ArmResult:
            ids = [r.customer_id for r in items if r.arm in arms]  # noqa: B023 - used at once
            return _arm(channel, label, ids, accepted, paid, outcomes, control)  # noqa: B023

        control = arm_of(Arm.CONTROL.value, (Arm.CONTROL,), None)
        offers = [r for r in items if r.arm == Arm.VARIANT]
        results.append(
            ChannelResult(
                channel=channel,
                sent=sum(1 for r in offers if r.status == SENT),
                delivered=sum(1 for r in offers if r.delivered),
                opened=sum(1 for r in offers if r.opened),
                clicked=sum(1 for r in offers if r.clicked),
                offer=arm_of("offer", (Arm.VARIANT,), control),
                control=control,
            )
        )
    return tuple(results)


def _first_rows(sessions: sessionmaker[Session], campaign_key: str) -> list[_Row]:
    """Each customer's first outreach row of the campaign (hold-out rows left out)."""
    query = (
        select(
            OutreachMessage.channel,
            OutreachMessage.status,
            OutreachMessage.delivered_at,
            OutreachMessage.opened_at,
            OutreachMessage.clicked_at,
            PromoExposure.customer_id,
            PromoExposure.arm,
            PromoExposure.at,
            PromoExposure.response,
        )
        .join(PromoExposure, OutreachMessage.exposure_id == PromoExposure.id)
        .join(PromoCampaign, OutreachMessage.campaign_id == PromoCampaign.id)
        .where(PromoCampaign.key == campaign_key, PromoExposure.arm != Arm.HOLDOUT)
        .order_by(PromoExposure.at, OutreachMessage.id)
    )
    first: dict[int, _Row] = {}
    with sessions() as s:
        for channel, status, delivered, opened, clicked, customer, arm, at, response in s.execute(
            query
        ):
            first.setdefault(
                customer,
                _Row(
                    channel,
                    status,
                    delivered is not None,
                    opened is not None,
                    clicked is not None,
                    customer,
                    arm,
                    at,
                    response == Response.ACCEPTED,
                ),
            )
    return list(first.values())


def _outcome_facts(
    sessions: sessionmaker[Session], campaign_key: str, customer_ids: set[int]
) -> tuple[set[int], dict[int, list[tuple[datetime, float]]]]:
    """Customers who redeemed the campaign's coupon, and everyone's orders by time."""
    with sessions() as s:
        redeemed = set(
            s.scalars(
                select(PromoCoupon.customer_id)
                .join(PromoCampaign, PromoCoupon.campaign_id == PromoCampaign.id)
                .where(PromoCampaign.key == campaign_key, PromoCoupon.redeemed_at.is_not(None))
            )
        )
        orders: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
        for customer_id, placed_at, total in s.execute(
            select(Order.customer_id, Order.placed_at, Order.total).where(
                Order.customer_id.in_(customer_ids),
                Order.status != "cancelled",
                Order.kind == "order",
            )
        ):
            assert customer_id is not None  # only these customers' orders
            orders[customer_id].append((placed_at, float(total)))
    for placed in orders.values():
        placed.sort()
    return redeemed, orders
