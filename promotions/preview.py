"""Previewing one campaign for one customer: every variant rendered, and why they would not get it.

``PromotionService.preview`` answers "what would the chat do now across all active
campaigns"; a marketer editing a campaign also needs "what does *this* campaign say to
this customer, variant by variant, and if it would not reach them, why not" — including
for a draft. Nothing is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import Campaign
from promotions.decision import NOTHING, Decision, OfferContext, decide
from promotions.profiles import load_profile
from promotions.repository import PromotionRepository
from promotions.service import OfferDecision, PromotionService, render_offer
from promotions.targeting import explain_targeting
from promotions.templates import MissingSlot

# What each reason code of the decision means, in the words a marketer uses.
REASON_TEXT: dict[str, str] = {
    "chosen": "would be shown this campaign",
    "control_group": "is in this campaign's control group: eligible, shown nothing, measured",
    "global_holdout": "is in the global hold-out, which never sees any offer",
    "opted_out": "asked to stop receiving offers",
    "no_consent": "has not given marketing consent",
    "blocked_by_complaint": "is in a complaint, when no offer is ever made",
    "blocked_by_return": "is returning an item, when no offer is ever made",
    "blocked_by_handoff": "is talking to a person, when no offer is ever made",
    "daily_cap": "already had the most offers allowed per day",
    "weekly_cap": "already had the most offers allowed per week",
    "not_active": "cannot get it: the campaign is not active",
    "not_started": "cannot get it yet: the campaign has not started",
    "ended": "cannot get it any more: the campaign has ended",
    "wrong_trigger": "cannot get it at this moment: the campaign does not use this trigger",
    "not_eligible": "does not match the eligibility rule",
    "already_accepted": "already accepted this campaign's offer",
    "campaign_cap": "already reached this campaign's cap per customer",
    "cooldown": "declined this campaign recently and is in its cooldown",
    "budget_spent": "cannot get it: the campaign's coupon budget is spent",
    "unknown_customer": "is not a customer of the shop",
    "no_campaign": "gets no offer: every active campaign passed them over",
    "no_campaigns": "gets no offer: no campaign is active",
}


def explain(reason: str) -> str:
    """A marketer's sentence for a decision reason code (``missing_slot:x`` included)."""
    if reason.startswith("missing_slot:"):
        return f"has no value for '{reason.split(':', 1)[1]}', which the message needs"
    return REASON_TEXT.get(reason) or explain_targeting(reason) or reason


@dataclass(frozen=True)
class VariantPreview:
    """One variant's message for the customer, or the slot that stops it rendering."""

    key: str
    text: str | None
    buttons: tuple[dict[str, str], ...]
    problem: str | None  # a reason code such as "missing_slot:first_name"
    assigned: bool  # the variant this customer is (sticky) assigned to


@dataclass(frozen=True)
class CampaignPreview:
    """The campaign's decision for the customer, each variant rendered, and the chat's choice."""

    campaign_key: str
    customer_id: int
    customer_found: bool
    outcome: str  # offer, control, holdout or none — for this campaign alone
    reason: str
    variants: tuple[VariantPreview, ...]
    chat: OfferDecision | None  # what the chat would do now across all active campaigns
    targeting: str | None = None  # why the campaign's targeting lets them in: "uplift 0.034 ≥ 0.02"

    @property
    def reason_text(self) -> str:
        """The reason code as a sentence."""
        return explain(self.reason)


def preview_campaign(
    sessions: sessionmaker[Session],
    campaign: Campaign,
    customer_id: int,
    context: OfferContext,
    now: datetime,
) -> CampaignPreview:
    """Decide ``campaign`` alone for the customer and render all its variants for them."""
    profile = load_profile(sessions, customer_id, now)
    if profile is None:
        return CampaignPreview(
            campaign.key, customer_id, False, NOTHING, "unknown_customer", (), None
        )
    repo = PromotionRepository(sessions)
    decision = decide(
        profile,
        context,
        [campaign],
        repo.history(customer_id),
        now,
        repo.settings(),
        repo.coupons_issued(),
    )
    variants = []
    for variant in campaign.variants:
        try:
            text, buttons = render_offer(campaign, variant, profile, context, now)
            problem = None
        except MissingSlot as exc:
            text, buttons, problem = None, (), f"missing_slot:{exc.slot}"
        variants.append(
            VariantPreview(variant.key, text, buttons, problem, variant.key == decision.variant_key)
        )
    chat = PromotionService(sessions, clock=lambda: now).preview(customer_id, context, now)
    return CampaignPreview(
        campaign.key,
        customer_id,
        True,
        decision.outcome,
        _campaign_reason(decision),
        tuple(variants),
        chat,
        _targeting_note(campaign, decision, profile.uplift, profile.uplift_rank),
    )


def _targeting_note(
    campaign: Campaign, decision: Decision, uplift: float | None, rank: float | None
) -> str | None:
    """For a customer the campaign's targeting lets in, the numbers that did it."""
    if campaign.targeting is None or decision.outcome == NOTHING or uplift is None:
        return None
    return campaign.targeting.why_targeted(uplift, rank)


def _campaign_reason(decision: Decision) -> str:
    # With one campaign, a pass-over names that campaign's own reason; otherwise the
    # reason is customer-wide (opt-out, consent, caps, a blocking matter).
    if decision.outcome == NOTHING and decision.passed_over:
        return decision.passed_over[0][1]
    return decision.reason
