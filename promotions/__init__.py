"""Personalised offers in the conversation: campaigns, eligibility, experiments, coupons, results.

The public surface (what actions/ and console/ call):

- ``PromotionService(session_factory)`` — ``offer_for(customer_id, OfferContext(...),
  sender_id=...) -> OfferDecision``, ``accept`` / ``decline`` / ``opt_out(customer_id) ->
  OfferReply``, ``preview``, ``record_redemption(order_number, code)``.
- ``decide(profile, context, campaigns, history, now, settings)`` — the pure decision.
- ``campaign_results(session_factory) -> ResultsReport`` — what the console shows.
- ``PromotionRepository`` — campaigns and settings (save, list, status changes).
- ``scan_redemptions(session_factory)`` — orders carrying a code mark the coupon redeemed.
- ``Trigger``, ``Matter``, ``OfferPayload`` — the names both sides of the chat depend on
  (``promotions.triggers``, ``promotions.replies``): import them, never retype the strings.
"""

from promotions.campaigns import Campaign, CampaignError, GlobalSettings, campaign_from_dict
from promotions.coupons import Redemption, record_redemption, scan_redemptions
from promotions.decision import Decision, OfferContext, PastOffer, Profile, decide
from promotions.eligibility import Rule, RuleError
from promotions.replies import OfferPayload
from promotions.repository import PromotionRepository
from promotions.results import ResultsReport, campaign_results
from promotions.service import OfferDecision, OfferReply, PromotionService
from promotions.triggers import BLOCKING_MATTERS, TRIGGERS, Matter, Trigger

__all__ = [
    "BLOCKING_MATTERS",
    "TRIGGERS",
    "Campaign",
    "CampaignError",
    "Decision",
    "GlobalSettings",
    "Matter",
    "OfferContext",
    "OfferDecision",
    "OfferPayload",
    "OfferReply",
    "PastOffer",
    "Profile",
    "PromotionRepository",
    "PromotionService",
    "Redemption",
    "ResultsReport",
    "Rule",
    "RuleError",
    "Trigger",
    "campaign_from_dict",
    "campaign_results",
    "decide",
    "record_redemption",
    "scan_redemptions",
]
