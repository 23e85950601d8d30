"""Reading and writing campaigns, settings and exposures; the only SQL of the decision side.

Every method is one unit of work (one ``Session``) and returns plain values or the frozen
objects of ``promotions.campaigns`` / ``promotions.decision``, never ORM rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from promotions.assignment import Arm
from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import Campaign, GlobalSettings, campaign_from_dict
from promotions.decision import PastOffer, Response
from promotions.models import PromoCampaign, PromoExposure, PromoSettings, PromoVariant
from promotions.triggers import Trigger
from store.db import utcnow, writing
from store.models import ChatSession, Customer

AlongsideWrite = Callable[[Session], None]
"""Called inside a save's transaction, e.g. to add the audit entry that must commit with it."""


class UnknownCampaign(LookupError):
    """No campaign has that key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no campaign with key {key!r}")
        self.key = key


@dataclass(frozen=True)
class ExposureView:
    """One recorded assignment."""

    id: int
    customer_id: int
    campaign_key: str
    arm: str
    variant_key: str | None
    trigger: str
    at: datetime
    response: str | None
    offer_spec: dict[str, Any] | None = None  # promotions.acceptance.ShownOffer.to_json


class PromotionRepository:
    """Campaigns, global settings and the offer history in the shop database."""

    def __init__(
        self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.sessions = session_factory
        self.clock = clock

    # campaigns -------------------------------------------------------------------------

    def save_campaign(self, campaign: Campaign, *, alongside: AlongsideWrite | None = None) -> None:
        """Insert or replace the campaign with ``campaign.key`` (variants included).

        ``alongside`` writes in the same transaction: if it fails, nothing is saved.
        """
        data = campaign_to_dict(campaign)
        now = self.clock()
        with writing(self.sessions) as s:
            row = s.scalar(select(PromoCampaign).where(PromoCampaign.key == campaign.key))
            if row is None:
                row = PromoCampaign(key=campaign.key, created_at=now)
                s.add(row)
            row.name = campaign.name
            row.description = campaign.description
            row.status = campaign.status
            row.priority = campaign.priority
            row.starts_at = campaign.starts_at
            row.ends_at = campaign.ends_at
            row.triggers = list(campaign.triggers)
            row.eligibility = campaign.eligibility
            row.control_share = campaign.control_share
            row.max_per_customer = campaign.max_per_customer
            row.cooldown_days = campaign.cooldown_days
            row.coupon_budget = campaign.coupon_budget
            row.outreach = data.get("outreach")
            row.targeting = data.get("targeting")
            row.updated_at = now
            # Variants are matched by key so their ids (and history) survive an edit.
            existing = {v.key: v for v in row.variants}
            keep = []
            for item in data["variants"]:
                variant = existing.get(item["key"]) or PromoVariant(key=item["key"])
                variant.weight = item["weight"]
                variant.template = item["template"]
                variant.accepted_template = item["accepted_template"]
                variant.buttons = item["buttons"]
                variant.coupon = item.get("coupon")
                keep.append(variant)
            row.variants = keep
            if alongside is not None:
                alongside(s)

    def save_campaign_data(
        self,
        data: object,
        source: str = "campaign",
        *,
        alongside: Callable[[Session, Campaign], None] | None = None,
    ) -> Campaign:
        """Validate a campaign mapping (from a form or a file) and save it; raises ``CampaignError``.

        ``alongside`` gets the session and the validated campaign inside the save's transaction.
        """
        campaign = campaign_from_dict(data, source)
        self.save_campaign(
            campaign, alongside=None if alongside is None else lambda s: alongside(s, campaign)
        )
        return campaign

    def campaigns(self, statuses: Iterable[str] | None = None) -> list[Campaign]:
        """Every campaign (or those in ``statuses``), highest priority first."""
        query = select(PromoCampaign).options(selectinload(PromoCampaign.variants))
        if statuses is not None:
            query = query.where(PromoCampaign.status.in_(list(statuses)))
        query = query.order_by(PromoCampaign.priority.desc(), PromoCampaign.key)
        with self.sessions() as s:
            return [_campaign_of(row) for row in s.scalars(query)]

    def campaign(self, key: str) -> Campaign:
        """The campaign called ``key``; raises ``UnknownCampaign``."""
        with self.sessions() as s:
            row = s.scalar(select(PromoCampaign).where(PromoCampaign.key == key))
            if row is None:
                raise UnknownCampaign(key)
            return _campaign_of(row)

    def set_status(self, key: str, status: str) -> None:
        """Move a campaign to draft / active / paused / ended."""
        campaign = self.campaign(key)
        data = campaign_to_dict(campaign) | {"status": status}
        self.save_campaign(campaign_from_dict(data, f"campaign {key!r}"))

    # settings --------------------------------------------------------------------------

    def settings(self) -> GlobalSettings:
        """The global settings (defaults until saved)."""
        with self.sessions() as s:
            row = s.get(PromoSettings, 1)
            if row is None:
                return GlobalSettings()
            return GlobalSettings(
                holdout_share=row.holdout_share,
                max_offers_per_day=row.max_offers_per_day,
                max_offers_per_week=row.max_offers_per_week,
                attribution_days=row.attribution_days,
            )

    def save_settings(
        self, settings: GlobalSettings, *, alongside: AlongsideWrite | None = None
    ) -> None:
        """Replace the global settings; ``alongside`` writes in the same transaction."""
        with writing(self.sessions) as s:
            row = s.get(PromoSettings, 1) or PromoSettings(id=1)
            row.holdout_share = settings.holdout_share
            row.max_offers_per_day = settings.max_offers_per_day
            row.max_offers_per_week = settings.max_offers_per_week
            row.attribution_days = settings.attribution_days
            row.updated_at = self.clock()
            s.add(row)
            if alongside is not None:
                alongside(s)

    # history ---------------------------------------------------------------------------

    def history(self, customer_id: int) -> list[PastOffer]:
        """The customer's earlier assignments, oldest first."""
        return self.histories([customer_id]).get(customer_id, [])

    def histories(self, customer_ids: Iterable[int] | None = None) -> dict[int, list[PastOffer]]:
        """Earlier assignments per customer (all customers when ``customer_ids`` is None)."""
        query = (
            select(PromoExposure, PromoCampaign.key)
            .join(PromoCampaign, PromoExposure.campaign_id == PromoCampaign.id)
            .order_by(PromoExposure.at, PromoExposure.id)
        )
        if customer_ids is not None:
            query = query.where(PromoExposure.customer_id.in_(list(customer_ids)))
        found: dict[int, list[PastOffer]] = defaultdict(list)
        with self.sessions() as s:
            for exposure, key in s.execute(query):
                found[exposure.customer_id].append(
                    PastOffer(
                        campaign_key=key,
                        arm=Arm(exposure.arm),
                        at=exposure.at,
                        variant_key=exposure.variant_key,
                        response=Response(exposure.response) if exposure.response else None,
                        responded_at=exposure.responded_at,
                    )
                )
        return dict(found)

    def coupons_issued(self) -> dict[str, int]:
        """Number of coupons issued per campaign key (for coupon budgets).

        Read from the campaigns' counters, which issuing keeps (promotions.coupons): the
        same number the budget is enforced against, whatever erasure removed since.
        """
        query = select(PromoCampaign.key, PromoCampaign.coupons_issued).where(
            PromoCampaign.coupons_issued > 0
        )
        with self.sessions() as s:
            return {key: count for key, count in s.execute(query)}

    def record_exposure(
        self,
        *,
        customer_id: int,
        campaign_key: str,
        arm: Arm,
        trigger: Trigger,
        at: datetime,
        variant_key: str | None = None,
        sender_id: str | None = None,
        message: str | None = None,
        offer_spec: dict[str, Any] | None = None,
    ) -> int:
        """Store one assignment (offer shown, control or hold-out) and return its id.

        ``offer_spec`` is what accepting the shown offer gives (``ShownOffer.to_json``).
        """
        with writing(self.sessions) as s:
            campaign_id = s.scalar(
                select(PromoCampaign.id).where(PromoCampaign.key == campaign_key)
            )
            if campaign_id is None:
                raise UnknownCampaign(campaign_key)
            exposure = PromoExposure(
                customer_id=customer_id,
                campaign_id=campaign_id,
                arm=arm,
                variant_key=variant_key,
                trigger=trigger,
                sender_id=sender_id,
                chat_session_id=_open_chat_session(s, sender_id),
                message=message,
                offer_spec=offer_spec,
                at=at,
            )
            s.add(exposure)
            s.flush()
            return exposure.id

    def open_offer(self, customer_id: int, campaign_key: str | None = None) -> int | None:
        """The id of the customer's latest shown offer (of ``campaign_key``), if any."""
        query = (
            select(PromoExposure.id)
            .join(PromoCampaign, PromoExposure.campaign_id == PromoCampaign.id)
            .where(PromoExposure.customer_id == customer_id, PromoExposure.arm == Arm.VARIANT)
            .order_by(PromoExposure.at.desc(), PromoExposure.id.desc())
            .limit(1)
        )
        if campaign_key is not None:
            query = query.where(PromoCampaign.key == campaign_key)
        with self.sessions() as s:
            return s.scalar(query)

    def exposure(self, exposure_id: int) -> ExposureView | None:
        """The recorded assignment with that id."""
        with self.sessions() as s:
            row = s.get(PromoExposure, exposure_id)
            if row is None:
                return None
            return ExposureView(
                id=row.id,
                customer_id=row.customer_id,
                campaign_key=row.campaign.key,
                arm=row.arm,
                variant_key=row.variant_key,
                trigger=row.trigger,
                at=row.at,
                response=row.response,
                offer_spec=row.offer_spec,
            )

    def respond(self, exposure_id: int, response: Response, at: datetime) -> None:
        """Record the customer's answer to an offer.

        The first answer stands, except that a "yes" after a "no" counts (the customer
        changed their mind), and so does a "yes" honoured after one the shop refused (the
        campaign was resumed).
        """
        overrides = {
            Response.ACCEPTED: (Response.DECLINED, Response.REFUSED),
            Response.REFUSED: (Response.DECLINED,),
        }
        with writing(self.sessions) as s:
            exposure = s.get(PromoExposure, exposure_id)
            if exposure is None:
                return
            if exposure.response is None or exposure.response in overrides.get(response, ()):
                exposure.response = response
                exposure.responded_at = at

    def first_name(self, customer_id: int) -> str | None:
        """The customer's first name, if known."""
        with self.sessions() as s:
            return s.scalar(select(Customer.first_name).where(Customer.id == customer_id))

    def set_opt_out(self, customer_id: int, opted_out: bool = True) -> bool:
        """Set the customer's offers opt-out flag; False when there is no such customer."""
        with writing(self.sessions) as s:
            customer = s.get(Customer, customer_id)
            if customer is None:
                return False
            customer.offers_opt_out = opted_out
            return True


def _open_chat_session(s: Session, sender_id: str | None) -> int | None:
    if not sender_id:
        return None
    return s.scalar(
        select(ChatSession.id)
        .where(ChatSession.sender_id == sender_id, ChatSession.ended_at.is_(None))
        .order_by(ChatSession.started_at.desc())
        .limit(1)
    )


def _campaign_of(row: PromoCampaign) -> Campaign:
    data = {
        "key": row.key,
        "name": row.name,
        "description": row.description,
        "status": row.status,
        "priority": row.priority,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "triggers": list(row.triggers),
        "eligibility": row.eligibility,
        "control_share": row.control_share,
        "caps": {
            "max_per_customer": row.max_per_customer,
            "cooldown_days": row.cooldown_days,
            "coupon_budget": row.coupon_budget,
        },
        "variants": [
            {
                "key": v.key,
                "weight": v.weight,
                "template": v.template,
                "accepted_template": v.accepted_template,
                "buttons": v.buttons,
                **({"coupon": v.coupon} if v.coupon else {}),
            }
            for v in row.variants
        ],
        **({"outreach": row.outreach} if row.outreach is not None else {}),
        **({"targeting": row.targeting} if row.targeting is not None else {}),
    }
    return campaign_from_dict(data, f"stored campaign {row.key!r}")
