"""Campaigns targeted by uplift: the file shape, its validation, the decision and its reasons."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import CampaignError, GlobalSettings, campaign_from_dict
from promotions.decision import OfferContext, Profile, decide
from promotions.preview import explain, preview_campaign
from promotions.repository import PromotionRepository
from promotions.targeting import Targeting
from promotions.triggers import Trigger
from store.models import Customer
from tests.factories import add_customer
from tests.promotions.conftest import NOW, FakeClock, campaign_dict, make_campaign

NO_HOLDOUT = GlobalSettings(holdout_share=0.0)
RETURNING = OfferContext(Trigger.RETURNING_SESSION_START)


def problems(**overrides: Any) -> list[str]:
    with pytest.raises(CampaignError) as caught:
        campaign_from_dict(campaign_dict(**overrides))
    return caught.value.problems


def profile(uplift: float | None, rank: float | None) -> Profile:
    return Profile(customer_id=7, consent=True, uplift=uplift, uplift_rank=rank)


def test_top_share_and_min_uplift_are_read_and_written_back() -> None:
    top = make_campaign(targeting={"by": "uplift", "top_share": 0.3})
    assert top.targeting == Targeting(top_share=0.3)
    assert campaign_from_dict(campaign_to_dict(top)) == top
    floor = make_campaign(targeting={"by": "uplift", "min_uplift": 0.02})
    assert floor.targeting == Targeting(min_uplift=0.02)
    assert campaign_to_dict(floor)["targeting"] == {"by": "uplift", "min_uplift": 0.02}
    assert make_campaign().targeting is None


@pytest.mark.parametrize(
    ("targeting", "where", "says"),
    [
        ("uplift", "targeting", "must be a mapping"),
        ({"by": "propensity", "top_share": 0.3}, "targeting.by", "must be one of uplift"),
        ({"by": "uplift"}, "targeting", "exactly one of top_share or min_uplift"),
        ({"by": "uplift", "top_share": 0.3, "min_uplift": 0.1}, "targeting", "exactly one"),
        ({"by": "uplift", "top_share": 1.5}, "targeting.top_share", ""),
        ({"by": "uplift", "top_share": 0.3, "top": 1}, "targeting.top", "unknown field"),
    ],
)
def test_a_broken_targeting_block_is_reported_where_it_is(
    targeting: Any, where: str, says: str
) -> None:
    found = problems(targeting=targeting)
    assert any(p.startswith(f"{where}:") and says in p for p in found), found


def test_top_share_offers_only_to_customers_inside_it() -> None:
    campaign = make_campaign(targeting={"by": "uplift", "top_share": 0.3})
    inside = decide(profile(0.08, 0.12), RETURNING, [campaign], [], NOW, NO_HOLDOUT)
    assert inside.outcome == "offer"
    outside = decide(profile(0.01, 0.55), RETURNING, [campaign], [], NOW, NO_HOLDOUT)
    assert outside.outcome == "none"
    assert outside.passed_over == (("spring", "below_uplift_top:0.3"),)
    assert explain("below_uplift_top:0.3") == "is below the top 30% by uplift"


def test_min_uplift_compares_the_score_and_says_both_numbers() -> None:
    campaign = make_campaign(targeting={"by": "uplift", "min_uplift": 0.02})
    assert decide(profile(0.034, 0.4), RETURNING, [campaign], [], NOW, NO_HOLDOUT).outcome == (
        "offer"
    )
    low = decide(profile(0.012, 0.4), RETURNING, [campaign], [], NOW, NO_HOLDOUT)
    assert low.passed_over == (("spring", "below_min_uplift:0.012<0.02"),)
    assert explain(low.passed_over[0][1]) == "has uplift 0.012 < 0.02, the campaign's minimum"
    assert campaign.targeting is not None
    assert campaign.targeting.why_targeted(0.034, 0.4) == "uplift 0.034 ≥ 0.02"


def test_a_customer_without_a_score_is_not_targeted_and_the_next_campaign_is_tried() -> None:
    targeted = make_campaign("targeted", priority=20, targeting={"by": "uplift", "top_share": 1})
    plain = make_campaign("plain", priority=10)
    decision = decide(profile(None, None), RETURNING, [targeted, plain], [], NOW, NO_HOLDOUT)
    assert decision.campaign_key == "plain"
    assert decision.passed_over == (("targeted", "no_uplift_score"),)
    assert "no predicted uplift" in explain("no_uplift_score")


def test_the_control_group_is_drawn_from_the_targeted_customers_only() -> None:
    campaign = make_campaign(control_share=0.5, targeting={"by": "uplift", "min_uplift": 0.05})
    outcomes = {
        decide(
            Profile(customer_id=i, consent=True, uplift=0.01, uplift_rank=0.9),
            RETURNING,
            [campaign],
            [],
            NOW,
            NO_HOLDOUT,
        ).outcome
        for i in range(1, 200)
    }
    assert outcomes == {"none"}  # below the minimum: neither offer nor control


def test_a_targeted_campaign_is_stored_and_read_back_with_its_targeting(
    sessions: sessionmaker[Session],
) -> None:
    repo = PromotionRepository(sessions)
    repo.save_campaign(make_campaign(targeting={"by": "uplift", "top_share": 0.3}))
    stored = repo.campaign("spring")
    assert stored is not None and stored.targeting == Targeting(by="uplift", top_share=0.3)

    repo.save_campaign(make_campaign())  # edited back to everyone it lets in
    again = repo.campaign("spring")
    assert again is not None and again.targeting is None


def test_preview_of_a_targeted_draft_says_why_with_the_numbers(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0))
    campaign = make_campaign(targeting={"by": "uplift", "min_uplift": 0.02})
    moved = add_customer(sessions, first_name="Anna", marketing_consent=True)
    unmoved = add_customer(sessions, first_name="Ben", marketing_consent=True)
    unscored = add_customer(sessions, first_name="Cat", marketing_consent=True)
    with sessions.begin() as s:
        for customer_id, tags in ((moved, {"uplift": 0.034, "uplift_rank": 0.1}),
                                  (unmoved, {"uplift": 0.012, "uplift_rank": 0.6})):  # fmt: skip
            s.execute(update(Customer).where(Customer.id == customer_id).values(tags=tags))

    shown = preview_campaign(sessions, campaign, moved, RETURNING, NOW)
    assert (shown.outcome, shown.targeting) == ("offer", "uplift 0.034 ≥ 0.02")
    below = preview_campaign(sessions, campaign, unmoved, RETURNING, NOW)
    assert below.reason == "below_min_uplift:0.012<0.02"
    assert below.reason_text == "has uplift 0.012 < 0.02, the campaign's minimum"
    assert preview_campaign(sessions, campaign, unscored, RETURNING, NOW).reason == (
        "no_uplift_score"
    )
