"""The pure offer decision over many profiles: eligibility, priority, caps, control, opt-out."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

import pytest

from promotions.campaigns import GlobalSettings
from promotions.decision import OfferContext, PastOffer, Profile, decide
from tests.promotions.conftest import NOW, campaign_dict, make_campaign

NO_HOLDOUT = GlobalSettings(holdout_share=0.0, max_offers_per_day=1, max_offers_per_week=3)
RETURNING = OfferContext("returning_session_start")
SEGMENTS = ["champions", "loyal", "at risk", "new", "hibernating", None]


def profiles(n: int, seed: int = 1) -> list[Profile]:
    """Varied, reproducible profiles, all with consent."""
    rng = random.Random(seed)
    return [
        Profile(
            customer_id=i,
            first_name=rng.choice(["Anna", "Ben", None]),
            segment=rng.choice(SEGMENTS),
            propensity_band=rng.choice(["low", "medium", "high", None]),
            total_spent=round(rng.uniform(0, 800), 2),
            orders_count=rng.randint(0, 12),
            days_since_last_order=rng.choice([None, *range(0, 400, 7)]),
            country=rng.choice(["United Kingdom", "France", "Germany"]),
            consent=True,
        )
        for i in range(1, n + 1)
    ]


def test_offer_goes_exactly_to_profiles_matching_the_rule() -> None:
    campaign = make_campaign(
        eligibility="segment in ['loyal', 'at risk'] and total_spent >= 200 and country != 'France'"
    )
    offered = 0
    for p in profiles(800):
        d = decide(p, RETURNING, [campaign], [], NOW, NO_HOLDOUT)
        expected = (
            p.segment in ("loyal", "at risk") and p.total_spent >= 200 and p.country != "France"
        )
        assert (d.outcome == "offer") is expected, p
        assert d.reason == ("chosen" if expected else "no_campaign")
        offered += expected
    assert 50 < offered < 400  # the rule really splits the population


def test_opted_out_customers_get_nothing_whatever_campaigns_exist() -> None:
    campaigns = [make_campaign("a"), make_campaign("b", priority=99)]
    for p in profiles(200):
        d = decide(
            Profile(**{**p.__dict__, "opted_out": True}), RETURNING, campaigns, [], NOW, NO_HOLDOUT
        )
        assert (d.outcome, d.reason, d.campaign_key) == ("none", "opted_out", None)


def test_customers_without_marketing_consent_get_nothing() -> None:
    d = decide(Profile(1, consent=False), RETURNING, [make_campaign()], [], NOW, NO_HOLDOUT)
    assert (d.outcome, d.reason) == ("none", "no_consent")


@pytest.mark.parametrize("matter", ["complaint", "return", "handoff"])
def test_no_offer_during_a_complaint_return_or_handoff(matter: str) -> None:
    context = OfferContext("after_order_resolved", active_matters=frozenset({matter}))
    d = decide(Profile(1, consent=True), context, [make_campaign()], [], NOW, NO_HOLDOUT)
    assert (d.outcome, d.reason) == ("none", f"blocked_by_{matter}")


def test_unknown_trigger_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown trigger 'checkout'"):
        OfferContext("checkout")


def test_campaign_only_fires_on_its_triggers() -> None:
    campaign = make_campaign(triggers=["with_recommendation"])
    d = decide(Profile(1, consent=True), RETURNING, [campaign], [], NOW, NO_HOLDOUT)
    assert (d.outcome, d.passed_over) == ("none", (("spring", "wrong_trigger"),))


def test_highest_priority_eligible_campaign_wins_and_the_rest_are_explained() -> None:
    top = make_campaign("top", priority=90, eligibility="segment == 'champions'")
    middle = make_campaign("middle", priority=50)
    low = make_campaign("low", priority=10)
    d = decide(
        Profile(1, segment="loyal", consent=True),
        RETURNING,
        [low, top, middle],
        [],
        NOW,
        NO_HOLDOUT,
    )
    assert (d.outcome, d.campaign_key) == ("offer", "middle")
    assert d.passed_over == (("top", "not_eligible"),)
    d = decide(
        Profile(1, segment="champions", consent=True),
        RETURNING,
        [low, top, middle],
        [],
        NOW,
        NO_HOLDOUT,
    )
    assert d.campaign_key == "top"


def test_equal_priorities_are_broken_by_key_so_the_choice_is_stable() -> None:
    campaigns = [make_campaign("zeta"), make_campaign("alpha")]
    assert (
        decide(Profile(1, consent=True), RETURNING, campaigns, [], NOW, NO_HOLDOUT).campaign_key
        == "alpha"
    )


def test_status_and_dates_gate_a_campaign() -> None:
    cases = {
        "paused": make_campaign(status="paused"),
        "later": make_campaign(starts_at=(NOW + timedelta(days=1)).isoformat()),
        "over": make_campaign(ends_at=NOW.isoformat()),
    }
    reasons = {
        name: decide(Profile(1, consent=True), RETURNING, [c], [], NOW, NO_HOLDOUT).passed_over[0][
            1
        ]
        for name, c in cases.items()
    }
    assert reasons == {"paused": "not_active", "later": "not_started", "over": "ended"}


def offer(key: str, at: datetime, response: str | None = None, **kw: object) -> PastOffer:
    return PastOffer(
        key,
        kw.pop("arm", "variant"),
        at,
        kw.pop("variant_key", "a"),
        response,
        at + timedelta(minutes=1) if response else None,
    )


def test_daily_cap_counts_today_and_weekly_cap_counts_seven_days() -> None:
    campaigns = [make_campaign("a"), make_campaign("b")]
    settings = GlobalSettings(holdout_share=0.0, max_offers_per_day=1, max_offers_per_week=2)
    p = Profile(1, consent=True)
    today = [offer("a", NOW - timedelta(hours=2))]
    assert decide(p, RETURNING, campaigns, today, NOW, settings).reason == "daily_cap"
    yesterday = [offer("a", NOW - timedelta(days=1))]
    assert decide(p, RETURNING, campaigns, yesterday, NOW, settings).outcome == "offer"
    week = [offer("a", NOW - timedelta(days=6)), offer("b", NOW - timedelta(days=2))]
    assert decide(p, RETURNING, campaigns, week, NOW, settings).reason == "weekly_cap"
    older = [offer("a", NOW - timedelta(days=8)), offer("b", NOW - timedelta(days=2))]
    assert decide(p, RETURNING, campaigns, older, NOW, settings).outcome == "offer"


def test_control_assignments_count_towards_caps_like_offers() -> None:
    history = [offer("a", NOW - timedelta(hours=1), arm="control", variant_key=None)]
    d = decide(Profile(1, consent=True), RETURNING, [make_campaign("b")], history, NOW, NO_HOLDOUT)
    assert d.reason == "daily_cap"


def test_per_campaign_cap_moves_on_to_the_next_campaign() -> None:
    capped = make_campaign("capped", priority=90, caps={"max_per_customer": 2, "cooldown_days": 0})
    other = make_campaign("other", priority=10)
    history = [offer("capped", NOW - timedelta(days=20)), offer("capped", NOW - timedelta(days=10))]
    d = decide(Profile(1, consent=True), RETURNING, [capped, other], history, NOW, NO_HOLDOUT)
    assert (d.campaign_key, d.passed_over) == ("other", (("capped", "campaign_cap"),))


def test_decline_starts_a_cooldown_for_that_campaign_only() -> None:
    spring = make_campaign("spring", priority=90, caps={"max_per_customer": 5, "cooldown_days": 14})
    other = make_campaign("other", priority=10)
    p = Profile(1, consent=True)
    recent = [offer("spring", NOW - timedelta(days=10), "declined")]
    d = decide(p, RETURNING, [spring, other], recent, NOW, NO_HOLDOUT)
    assert (d.campaign_key, d.passed_over) == ("other", (("spring", "cooldown"),))
    old = [offer("spring", NOW - timedelta(days=15), "declined")]
    assert decide(p, RETURNING, [spring, other], old, NOW, NO_HOLDOUT).campaign_key == "spring"


def test_accepted_campaign_is_not_offered_again_and_spent_budget_stops_it() -> None:
    spring = make_campaign("spring", caps={"max_per_customer": 5, "coupon_budget": 100})
    p = Profile(1, consent=True)
    accepted = [offer("spring", NOW - timedelta(days=30), "accepted")]
    assert decide(p, RETURNING, [spring], accepted, NOW, NO_HOLDOUT).passed_over == (
        ("spring", "already_accepted"),
    )
    spent = decide(p, RETURNING, [spring], [], NOW, NO_HOLDOUT, coupons_issued={"spring": 100})
    assert spent.passed_over == (("spring", "budget_spent"),)
    assert (
        decide(p, RETURNING, [spring], [], NOW, NO_HOLDOUT, coupons_issued={"spring": 99}).outcome
        == "offer"
    )


def test_a_campaign_needing_a_product_waits_for_a_moment_with_one() -> None:
    data = campaign_dict(triggers=["with_recommendation"])
    data["variants"][0]["template"] = "The {{ product }} is {{ discount }} off"
    campaign = make_campaign(**{k: v for k, v in data.items() if k != "key"})
    p = Profile(1, consent=True)
    bare = decide(p, OfferContext("with_recommendation"), [campaign], [], NOW, NO_HOLDOUT)
    assert bare.passed_over == (("spring", "missing_slot:product"),)
    with_product = OfferContext("with_recommendation", product="Linen lamp", product_price=30)
    assert decide(p, with_product, [campaign], [], NOW, NO_HOLDOUT).outcome == "offer"


def test_control_share_is_respected_and_control_sees_nothing() -> None:
    campaign = make_campaign(control_share=0.3)
    outcomes = Counter(
        decide(p, RETURNING, [campaign], [], NOW, NO_HOLDOUT).outcome for p in profiles(4000)
    )
    assert abs(outcomes["control"] / 4000 - 0.3) < 0.03
    assert set(outcomes) == {"offer", "control"}


def test_global_holdout_is_the_same_customers_for_every_campaign() -> None:
    settings = GlobalSettings(holdout_share=0.1)
    campaigns = {key: make_campaign(key) for key in ("one", "two")}
    held = {
        key: {
            p.customer_id
            for p in profiles(3000)
            if decide(p, RETURNING, [campaign], [], NOW, settings).outcome == "holdout"
        }
        for key, campaign in campaigns.items()
    }
    assert held["one"] == held["two"]
    assert abs(len(held["one"]) / 3000 - 0.1) < 0.02
    d = decide(
        Profile(next(iter(held["one"])), consent=True),
        RETURNING,
        [make_campaign("one")],
        [],
        NOW,
        settings,
    )
    assert (d.outcome, d.reason, d.campaign_key, d.variant_key) == (
        "holdout",
        "global_holdout",
        "one",
        None,
    )


def test_assignment_is_sticky_even_when_the_split_changes() -> None:
    two = campaign_dict(control_share=0.5)
    two["variants"].append({**two["variants"][0], "key": "b"})
    before = make_campaign(**{k: v for k, v in two.items() if k != "key"})
    first = {
        p.customer_id: decide(p, RETURNING, [before], [], NOW, NO_HOLDOUT) for p in profiles(300)
    }
    assert {d.outcome for d in first.values()} == {"offer", "control"}
    # The marketer now sends everyone to variant "a" with no control group.
    two["control_share"] = 0.0
    two["variants"][1]["weight"] = 0.0001
    after = make_campaign(**{k: v for k, v in two.items() if k != "key"})
    later = NOW + timedelta(days=3)
    for p in profiles(300):
        d0 = first[p.customer_id]
        history = [
            PastOffer(
                "spring", "variant" if d0.outcome == "offer" else "control", NOW, d0.variant_key
            )
        ]
        d1 = decide(p, RETURNING, [after], history, later, NO_HOLDOUT)
        assert (d1.outcome, d1.variant_key) == (d0.outcome, d0.variant_key)


def test_same_inputs_give_the_same_decision() -> None:
    campaign = make_campaign(control_share=0.4)
    settings = GlobalSettings(holdout_share=0.2)
    for p in profiles(200):
        assert decide(p, RETURNING, [campaign], [], NOW, settings) == decide(
            p, RETURNING, [campaign], [], NOW, settings
        )
