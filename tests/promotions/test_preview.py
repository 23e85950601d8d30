"""Previewing one campaign for one customer: every variant rendered, reasons when not shown."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import GlobalSettings
from promotions.decision import OfferContext
from promotions.models import PromoExposure
from promotions.preview import explain, preview_campaign
from promotions.repository import PromotionRepository
from tests.factories import add_customer
from tests.promotions.conftest import NOW, FakeClock, make_campaign

RETURNING = OfferContext("returning_session_start")
TWO_VARIANTS = [
    {
        "key": "a",
        "weight": 1,
        "template": "Hi {{ first_name }}, take {{ discount }} off!",
        "coupon": {"kind": "percent", "value": 10, "min_basket": 20, "validity_days": 7},
    },
    {"key": "b", "weight": 1, "template": "Hello {{ first_name | default('there') }}!"},
]


def setup(sessions: sessionmaker[Session], clock: FakeClock, **overrides) -> PromotionRepository:
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0))
    repo.save_campaign(make_campaign("duo", variants=TWO_VARIANTS, **overrides))
    return repo


def test_every_variant_is_rendered_and_the_assigned_one_marked(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = setup(sessions, clock)
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)

    preview = preview_campaign(sessions, repo.campaign("duo"), anna, RETURNING, NOW)

    assert (preview.outcome, preview.reason) == ("offer", "chosen")
    texts = {v.key: v.text for v in preview.variants}
    assert texts == {"a": "Hi Anna, take 10% off!", "b": "Hello Anna!"}
    assigned = [v.key for v in preview.variants if v.assigned]
    assert assigned == [preview.chat.decision.variant_key]
    assert preview.chat.text == texts[assigned[0]]
    with sessions() as s:  # a preview records nothing
        assert s.scalar(select(func.count()).select_from(PromoExposure)) == 0


def test_draft_campaign_still_renders_but_says_why_the_customer_would_not_get_it(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = setup(sessions, clock, status="draft")
    nameless = add_customer(sessions, first_name=None, marketing_consent=True)

    preview = preview_campaign(sessions, repo.campaign("duo"), nameless, RETURNING, NOW)

    assert (preview.outcome, preview.reason) == ("none", "not_active")
    assert "not active" in preview.reason_text
    a, b = preview.variants
    assert (a.text, a.problem) == (None, "missing_slot:first_name")
    assert b.text == "Hello there!"
    assert preview.chat.decision.reason == "no_campaigns"


def test_customer_wide_reasons_and_unknown_customers_are_reported(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = setup(sessions, clock)
    no_consent = add_customer(sessions, marketing_consent=False)
    campaign = repo.campaign("duo")

    assert preview_campaign(sessions, campaign, no_consent, RETURNING, NOW).reason == "no_consent"
    unknown = preview_campaign(sessions, campaign, 99999, RETURNING, NOW)
    assert (unknown.customer_found, unknown.reason, unknown.variants) == (
        False,
        "unknown_customer",
        (),
    )
    willing = add_customer(sessions, marketing_consent=True)
    elsewhere = preview_campaign(
        sessions, campaign, willing, OfferContext("with_recommendation"), NOW
    )
    assert (elsewhere.outcome, elsewhere.reason) == ("none", "wrong_trigger")
    assert explain("missing_slot:product") == "has no value for 'product', which the message needs"
