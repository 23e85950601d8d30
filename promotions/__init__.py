"""Personalised offers in the conversation: campaigns, eligibility, experiments, coupons, results.

The public surface (what actions/ and console/ call):

- ``PromotionService(session_factory)`` — ``offer_for(customer_id, OfferContext(...),
  sender_id=...) -> OfferDecision``, ``accept`` / ``decline`` / ``opt_out(customer_id) ->
  OfferReply``, ``preview``, ``record_redemption(order_number, code)``.
- ``decide(profile, context, campaigns, history, now, settings)`` — the pure decision.
- ``campaign_results(session_factory) -> ResultsReport`` — what the console shows.
- ``PromotionRepository`` — campaigns and settings (save, list, status changes).
- ``scan_redemptions(session_factory)`` — orders carrying a code mark the coupon redeemed.
"""

from promotions.campaigns import Campaign, CampaignError, GlobalSettings, campaign_from_dict
from promotions.coupons import Redemption, record_redemption, scan_redemptions
from promotions.decision import Decision, OfferContext, PastOffer, Profile, decide
from promotions.eligibility import Rule, RuleError
from promotions.repository import PromotionRepository
from promotions.results import ResultsReport, campaign_results
from promotions.service import OfferDecision, OfferReply, PromotionService
from promotions.triggers import BLOCKING_MATTERS, TRIGGERS

__all__ = [
    "BLOCKING_MATTERS",
    "TRIGGERS",
    "Campaign",
    "CampaignError",
    "Decision",
    "GlobalSettings",
    "OfferContext",
    "OfferDecision",
    "OfferReply",
    "PastOffer",
    "Profile",
    "PromotionRepository",
    "PromotionService",
    "Redemption",
    "ResultsReport",
    "Rule",
    "RuleError",
    "campaign_from_dict",
    "campaign_results",
    "decide",
    "record_redemption",
    "scan_redemptions",
]
