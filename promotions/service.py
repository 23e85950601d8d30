"""What the chat calls: decide and record an offer, then handle accept, decline and opt-out.

``PromotionService`` wires the pure decision to the database. A Rasa action needs a few
lines::

    context = OfferContext(Trigger.RETURNING_SESSION_START)
    offer = service.offer_for(customer_id, context, sender_id=tracker.sender_id)
    if offer.shows_offer:
        dispatcher.utter_message(text=offer.text, buttons=list(offer.buttons))

and on the quick replies ``service.accept(customer_id)`` / ``decline`` / ``opt_out``, each of
which returns a status (and, on acceptance, the campaign's message with the code).

Accepting honours the offer as it was shown (stored on the exposure) and re-checks what
may have changed since: see ``promotions.acceptance``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from promotions.acceptance import ShownOffer
from promotions.campaigns import (
    DEFAULT_ACCEPTED_TEMPLATE,
    DEFAULT_THANKS_TEMPLATE,
    Campaign,
    CouponSpec,
    Variant,
    money,
)
from promotions.coupons import (
    CouponRefused,
    IssuedCoupon,
    Redemption,
    check_acceptance,
    issue_coupon,
    new_code,
    record_redemption,
)
from promotions.decision import (
    NOTHING,
    OFFER,
    Decision,
    OfferContext,
    Profile,
    Response,
    decide,
)
from promotions.profiles import load_profile
from promotions.replies import ReplyStatus
from promotions.repository import ExposureView, PromotionRepository, UnknownCampaign
from promotions.templates import MissingSlot, render
from store.db import make_engine, make_session_factory, utcnow

log = logging.getLogger(__name__)

# An offer can be taken up for this long after it was shown (a later "yes" is about
# something else, or the customer has to be asked again).
OFFER_OPEN_FOR = timedelta(hours=48)


@dataclass(frozen=True)
class OfferDecision:
    """The decision for this moment and, for an offer, the message and quick replies to show."""

    decision: Decision
    text: str | None = None
    buttons: tuple[dict[str, str], ...] = ()
    exposure_id: int | None = None

    @property
    def shows_offer(self) -> bool:
        """True when ``text`` and ``buttons`` are to be sent to the customer."""
        return self.decision.outcome == OFFER and self.text is not None


@dataclass(frozen=True)
class OfferReply:
    """The result of an accept / decline / opt-out: a status code, and the campaign's text.

    ``text`` is the campaign's own acceptance message (``issued``, ``already_issued``,
    ``accepted``), rendered from its template; for the other statuses it is None and the
    chat words the status (``actions.messages.offer_reply``), so no fixed sentence lives
    in promotions.
    """

    status: ReplyStatus
    text: str | None = None
    coupon: IssuedCoupon | None = None
    campaign_key: str | None = None  # the answered offer's campaign, when there was one


def offer_slots(
    profile: Profile, context: OfferContext, variant: Variant, now: datetime
) -> dict[str, Any]:
    """The personalisation values a variant's offer message can use."""
    slots: dict[str, Any] = {"first_name": profile.first_name, "product": context.product}
    if variant.coupon:
        slots.update(
            coupon_slots(variant.coupon, now + timedelta(days=variant.coupon.validity_days))
        )
    return slots


def coupon_slots(spec: CouponSpec, expires_at: datetime) -> dict[str, str]:
    """Discount, minimum basket, validity and expiry as customer-facing text."""
    return {
        "discount": spec.discount_text(),
        "min_basket": money(spec.min_basket, spec.currency),
        "validity_days": str(spec.validity_days),
        "expiry": f"{expires_at.day} {expires_at:%B}",
    }


def render_offer(
    campaign: Campaign, variant: Variant, profile: Profile, context: OfferContext, now: datetime
) -> tuple[str, tuple[dict[str, str], ...]]:
    """The offer message and its quick replies; raises ``MissingSlot``."""
    slots = offer_slots(profile, context, variant, now)
    text = render(variant.template, slots)
    buttons = tuple(
        {"title": render(b.title, slots), "payload": b.payload} for b in variant.buttons
    )
    return text, buttons


def as_customer_id(value: int | str | None) -> int | None:
    """A customer id from an int or a Rasa text slot ("42"); None for a guest or junk."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


class PromotionService:
    """Offers in the conversation, backed by the shop database."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Callable[[], datetime] = utcnow,
        code_factory: Callable[[], str] = new_code,
    ) -> None:
        self.sessions = session_factory
        self.clock = clock
        self.code_factory = code_factory
        self.repo = PromotionRepository(session_factory, clock)

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Callable[[], datetime] = utcnow
    ) -> PromotionService:
        """A service on ``settings.db_url`` (the action server makes one at start)."""
        return cls(make_session_factory(make_engine(settings.db_url)), clock=clock)

    def decide_for(
        self, customer_id: int | str | None, context: OfferContext, now: datetime | None = None
    ) -> tuple[Decision, Profile | None, Campaign | None]:
        """The decision without recording anything (``preview`` and ``offer_for`` share it)."""
        now = now or self.clock()
        customer_id = as_customer_id(customer_id)
        if customer_id is None:
            return Decision(NOTHING, "guest"), None, None
        profile = load_profile(self.sessions, customer_id, now)
        if profile is None:
            return Decision(NOTHING, "unknown_customer"), None, None
        campaigns = self.repo.campaigns(statuses=["active"])
        decision = decide(
            profile,
            context,
            campaigns,
            self.repo.history(customer_id),
            now,
            self.repo.settings(),
            self.repo.coupons_issued(),
        )
        chosen = next((c for c in campaigns if c.key == decision.campaign_key), None)
        return decision, profile, chosen

    def preview(
        self, customer_id: int | str | None, context: OfferContext, now: datetime | None = None
    ) -> OfferDecision:
        """What ``offer_for`` would do now, rendered, without recording it."""
        now = now or self.clock()
        decision, profile, campaign = self.decide_for(customer_id, context, now)
        return self._rendered(decision, profile, campaign, context, now)

    def offer_for(
        self,
        customer_id: int | str | None,
        context: OfferContext,
        *,
        sender_id: str | None = None,
        now: datetime | None = None,
    ) -> OfferDecision:
        """Decide, record the exposure (or control / hold-out) and return what to show."""
        now = now or self.clock()
        decision, profile, campaign = self.decide_for(customer_id, context, now)
        result = self._rendered(decision, profile, campaign, context, now)
        decision = result.decision
        if decision.outcome == NOTHING or campaign is None or profile is None:
            return result
        variant = campaign.variant(decision.variant_key or "") if result.shows_offer else None
        exposure_id = self.repo.record_exposure(
            customer_id=profile.customer_id,
            campaign_key=campaign.key,
            arm=decision.arm,
            variant_key=decision.variant_key,
            trigger=context.trigger,
            at=now,
            sender_id=sender_id,
            message=result.text,
            offer_spec=ShownOffer.of(variant).to_json() if variant else None,
        )
        return replace(result, exposure_id=exposure_id)

    def _rendered(
        self,
        decision: Decision,
        profile: Profile | None,
        campaign: Campaign | None,
        context: OfferContext,
        now: datetime,
    ) -> OfferDecision:
        if decision.outcome != OFFER or campaign is None or profile is None:
            return OfferDecision(decision)
        variant = campaign.variant(decision.variant_key or "")
        assert variant is not None  # the decision only names the campaign's own variants
        try:
            text, buttons = render_offer(campaign, variant, profile, context, now)
        except MissingSlot as exc:
            # The decision checks needed slots up front; this is a slot that is present
            # but blank after cleaning (e.g. a name made only of markup).
            log.warning("offer %s/%s not rendered: %s", campaign.key, variant.key, exc)
            return OfferDecision(
                replace(decision, outcome=NOTHING, reason=f"missing_slot:{exc.slot}")
            )
        return OfferDecision(decision, text, buttons)

    def accept(
        self,
        customer_id: int | str,
        *,
        campaign_key: str | None = None,
        now: datetime | None = None,
    ) -> OfferReply:
        """Accept the customer's open offer: issue its coupon (idempotent) and say the code.

        The customer gets the offer as it was shown. A campaign paused or ended since, an
        opt-out or withdrawn consent since, or a spent budget refuse it: the answer is
        recorded as refused and no coupon is issued.
        """
        now = now or self.clock()
        found = self._open_offer(customer_id, campaign_key, now)
        if isinstance(found, OfferReply):
            return found
        exposure, shown = found
        exposure_id = exposure.id
        coupon = None
        try:
            if shown.coupon is None:
                check_acceptance(self.sessions, exposure_id, now)
            else:
                coupon = issue_coupon(
                    self.sessions, exposure_id, shown.coupon, now, code_factory=self.code_factory
                )
        except CouponRefused as exc:
            self.repo.respond(exposure_id, Response.REFUSED, now)
            log.info("acceptance of exposure %s refused: %s", exposure_id, exc.reason)
            return OfferReply(exc.reason, campaign_key=exposure.campaign_key)
        self.repo.respond(exposure_id, Response.ACCEPTED, now)
        slots: dict[str, Any] = {"first_name": self.repo.first_name(int(customer_id))}
        if coupon is not None:
            slots |= coupon_slots(coupon.spec, coupon.expires_at) | {"code": coupon.code}
        try:
            text = render(shown.accepted_template, slots)
        except MissingSlot:
            # The coupon exists now; the customer must get its code even if, say, their
            # name was removed since the offer was shown.
            fallback = DEFAULT_ACCEPTED_TEMPLATE if coupon else DEFAULT_THANKS_TEMPLATE
            text = render(fallback, slots)
        if coupon is None:
            return OfferReply(ReplyStatus.ACCEPTED, text, campaign_key=exposure.campaign_key)
        status = ReplyStatus.ISSUED if coupon.created else ReplyStatus.ALREADY_ISSUED
        return OfferReply(status, text, coupon, campaign_key=exposure.campaign_key)

    def decline(
        self,
        customer_id: int | str,
        *,
        campaign_key: str | None = None,
        now: datetime | None = None,
    ) -> OfferReply:
        """Decline the open offer; the campaign's cooldown starts now."""
        now = now or self.clock()
        found = self._open_offer(customer_id, campaign_key, now)
        if isinstance(found, OfferReply):
            return found
        self.repo.respond(found[0].id, Response.DECLINED, now)
        return OfferReply(ReplyStatus.DECLINED, campaign_key=found[0].campaign_key)

    def opt_out(self, customer_id: int | str, now: datetime | None = None) -> OfferReply:
        """Stop all offers to this customer, everywhere, from now on."""
        now = now or self.clock()
        customer = as_customer_id(customer_id)
        if customer is None:
            return OfferReply(ReplyStatus.NO_OFFER)
        exposure_id = self.repo.open_offer(customer)
        if exposure_id is not None:
            self.repo.respond(exposure_id, Response.OPTED_OUT, now)
        self.repo.set_opt_out(customer, True)
        return OfferReply(ReplyStatus.OPTED_OUT)

    def awaits_answer(self, customer_id: int | str, now: datetime | None = None) -> bool:
        """True when the customer has an open offer, still valid, that they have not answered."""
        found = self._open_offer(customer_id, None, now or self.clock())
        if isinstance(found, OfferReply):
            return False
        return found[0].response is None

    def record_redemption(self, order_number: str, coupon_code: str) -> Redemption:
        """Mark a coupon redeemed by an order (see ``promotions.coupons.record_redemption``)."""
        return record_redemption(self.sessions, order_number, coupon_code)

    def _open_offer(
        self, customer_id: int | str, campaign_key: str | None, now: datetime
    ) -> tuple[ExposureView, ShownOffer] | OfferReply:
        customer = as_customer_id(customer_id)
        if customer is None:
            return OfferReply(ReplyStatus.NO_OFFER)
        exposure_id = self.repo.open_offer(customer, campaign_key)
        if exposure_id is None:
            return OfferReply(ReplyStatus.NO_OFFER)
        exposure = self.repo.exposure(exposure_id)
        if exposure is None:
            return OfferReply(ReplyStatus.NO_OFFER)
        if now - exposure.at > OFFER_OPEN_FOR:
            return OfferReply(ReplyStatus.OFFER_EXPIRED)
        shown = self._shown_offer(exposure)
        if shown is None:
            return OfferReply(ReplyStatus.NO_OFFER)
        return exposure, shown

    def _shown_offer(self, exposure: ExposureView) -> ShownOffer | None:
        """The offer as shown; for an exposure stored before shown offers were, as it is now."""
        if exposure.offer_spec is not None:
            return ShownOffer.from_json(exposure.offer_spec)
        try:
            campaign = self.repo.campaign(exposure.campaign_key)
        except UnknownCampaign:
            return None
        variant = campaign.variant(exposure.variant_key or "")
        return ShownOffer.of(variant) if variant is not None else None
