"""A proactive campaign's outreach with known figures per channel, for the results tests.

Written with the real outbox, tracking, web-chat and coupon functions (no hand-made rows),
with arms chosen here rather than by the hash, so every figure below is known:

============  =====  ====  =========  ======  =======  ========  =========  =======
channel       offer  sent  delivered  opened  clicked  redeemed  converted  control
============  =====  ====  =========  ======  =======  ========  =========  =======
e-mail        6      6     0          3       1        2         3          4 (1 converted)
web chat      4      4     2          0       0        1         1          2 (1 converted)
============  =====  ====  =========  ======  =======  ========  =========  =======
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from promotions.acceptance import ShownOffer
from promotions.assignment import Arm
from promotions.coupons import scan_redemptions
from promotions.outreach_links import TrackedEvent, TrackingKind
from promotions.outreach_outbox import Outbox, Queued, Status
from promotions.outreach_tracking import record
from promotions.outreach_web import take_waiting
from promotions.repository import PromotionRepository
from promotions.service import PromotionService
from promotions.triggers import Trigger
from tests.factories import add_customer, add_order, add_product
from tests.support.outreach import proactive_campaign, save_campaign

KEY = "winback"


@dataclass(frozen=True)
class OutreachScene:
    """Customer ids by channel and arm."""

    email_offer: list[int]
    email_control: list[int]
    web_offer: list[int]
    web_control: list[int]


def seed_outreach(sessions: sessionmaker[Session], now: datetime) -> OutreachScene:
    """The campaign ``winback`` and its outreach as in the table above, a day before ``now``."""
    save_campaign(sessions, proactive_campaign(KEY, outreach={"channels": ["web", "email"]}))
    campaign = PromotionRepository(sessions).campaign(KEY)
    spec = {**ShownOffer.of(campaign.variants[0]).to_json(), "buttons": []}
    outbox = Outbox(sessions)
    at = now - timedelta(days=1)

    def queue(channel: str, arm: Arm) -> tuple[int, int]:
        customer = add_customer(sessions, marketing_consent=True, email_opt_in=True)
        offer = arm == Arm.VARIANT
        message_id = outbox.queue(
            Queued(
                customer_id=customer,
                campaign_key=KEY,
                arm=arm,
                channel=channel,
                idempotency_key=f"{KEY}:{customer}:{at:%Y-%m-%d}",
                status=Status.PENDING if offer else Status.SKIPPED,
                variant_key="a" if offer else None,
                message="Take 10% off!" if offer else None,
                offer_spec=spec if offer else None,
                note=None if offer else "control group",
            ),
            Trigger.OUTREACH,
            at,
        )
        assert message_id is not None
        if offer:
            assert outbox.claim(message_id, at)
            body = "Take 10% off!" if channel == "web" else None
            outbox.finish(message_id, Status.SENT, at, body=body)
        return customer, message_id

    email = [queue("email", Arm.VARIANT) for _ in range(6)]
    email_control = [queue("email", Arm.CONTROL)[0] for _ in range(4)]
    web = [queue("web", Arm.VARIANT) for _ in range(4)]
    web_control = [queue("web", Arm.CONTROL)[0] for _ in range(2)]

    seen = at + timedelta(hours=1)
    for _, message_id in email[:2]:
        record(sessions, TrackedEvent(message_id, TrackingKind.OPEN), seen)
    record(sessions, TrackedEvent(email[2][1], TrackingKind.CLICK, "/"), seen)
    for customer, _ in web[:2]:
        assert take_waiting(sessions, customer, seen)

    service = PromotionService(sessions)
    product = add_product(sessions, price=50.0)
    buyers = [email[0][0], email[1][0], web[0][0]]  # accept, then pay with the coupon
    for customer in buyers:
        reply = service.accept(customer, campaign_key=KEY, now=seen)
        assert reply.coupon is not None
        add_order(
            sessions,
            customer_id=customer,
            placed_at=seen + timedelta(hours=1),
            lines=[(product, 1)],
            coupon_code=reply.coupon.code,
        )
    for customer in (email[2][0], email_control[0], web_control[0]):  # ordered, no coupon
        add_order(
            sessions,
            customer_id=customer,
            placed_at=seen + timedelta(hours=2),
            lines=[(product, 1)],
        )
    scan_redemptions(sessions)
    return OutreachScene([c for c, _ in email], email_control, [c for c, _ in web], web_control)
