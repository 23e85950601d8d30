"""Names the code depends on are defined once: triggers, matters, quick replies, closed sets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from promotions.assignment import Arm
from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import CampaignError, CouponSpec, campaign_from_dict
from promotions.decision import OfferContext, Outcome, PastOffer, Response
from promotions.eligibility import FieldSpec
from promotions.replies import BUTTON_PAYLOADS, ButtonAction, OfferPayload
from promotions.triggers import Matter, Trigger, blocking_matters
from tests.promotions.conftest import campaign_dict

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain"


def domain_intents() -> set[str]:
    intents: set[str] = set()
    for path in DOMAIN_DIR.glob("*.yml"):
        for item in (yaml.safe_load(path.read_text()) or {}).get("intents") or []:
            intents.add(item if isinstance(item, str) else next(iter(item)))
    return intents


def test_every_offer_payload_is_an_intent_of_the_domain() -> None:
    # A payload the domain does not know would be read as some other intent by the NLU.
    assert {payload.intent for payload in OfferPayload} <= domain_intents()


def test_every_button_action_has_its_own_payload() -> None:
    assert set(BUTTON_PAYLOADS) == set(ButtonAction)
    assert len(set(BUTTON_PAYLOADS.values())) == len(ButtonAction)


def test_campaign_file_strings_load_as_triggers_and_export_as_plain_strings() -> None:
    campaign = campaign_from_dict(campaign_dict())
    assert campaign.triggers == (Trigger.RETURNING_SESSION_START, Trigger.AFTER_ORDER_RESOLVED)
    assert all(isinstance(t, Trigger) for t in campaign.triggers)
    exported = campaign_to_dict(campaign)
    assert all(type(t) is str for t in exported["triggers"])
    assert all(type(b["action"]) is str for b in exported["variants"][0]["buttons"])
    yaml.safe_dump(exported)  # plain data: the YAML export must not meet an enum


def test_offer_context_takes_a_trigger_string_and_refuses_a_misspelt_one() -> None:
    assert OfferContext("with_recommendation").trigger is Trigger.WITH_RECOMMENDATION
    with pytest.raises(ValueError, match="unknown trigger 'with_recomendation'"):
        OfferContext("with_recomendation")


def test_offer_context_refuses_an_unknown_matter() -> None:
    # A misspelt matter would otherwise never block an offer during a return.
    with pytest.raises(ValueError, match="unknown matters"):
        OfferContext(Trigger.AFTER_ORDER_RESOLVED, active_matters=frozenset({"retrun"}))


def test_blocking_matters_keeps_only_the_matters_that_forbid_offers() -> None:
    assert blocking_matters(["order", None, "return", "handoff"]) == {
        Matter.RETURN,
        Matter.HANDOFF,
    }


def test_unknown_coupon_kind_is_reported_with_the_other_problems() -> None:
    data = campaign_dict()
    data["variants"][0]["coupon"]["kind"] = "percentage"
    data["priority"] = "high"
    with pytest.raises(CampaignError) as info:
        campaign_from_dict(data)
    joined = "; ".join(info.value.problems)
    assert "variants[0].coupon.kind: must be 'percent' or 'amount', got 'percentage'" in joined
    assert "priority" in joined


def test_coupon_spec_refuses_a_kind_it_cannot_price() -> None:
    # Coupons are also rebuilt from database rows, where no campaign check ran.
    with pytest.raises(ValueError, match="coupon kind"):
        CouponSpec(kind="bogof", value=1.0)  # type: ignore[arg-type]


def test_field_spec_refuses_an_unknown_type() -> None:
    with pytest.raises(ValueError, match="field type"):
        FieldSpec("date", "a day")  # type: ignore[arg-type]


def test_offer_history_refuses_an_arm_or_response_it_does_not_know() -> None:
    # Past offers are read from database rows: a stray value must not silently escape the caps.
    at = datetime(2025, 6, 1)
    assert PastOffer("spring", "control", at).arm is Arm.CONTROL
    assert PastOffer("spring", "variant", at, "a", "declined").response is Response.DECLINED
    with pytest.raises(ValueError):
        PastOffer("spring", "shown", at)
    with pytest.raises(ValueError):
        PastOffer("spring", "variant", at, "a", "maybe")


def test_each_outcome_is_recorded_in_its_own_arm() -> None:
    assert {outcome: outcome.arm for outcome in Outcome} == {
        Outcome.OFFER: Arm.VARIANT,
        Outcome.CONTROL: Arm.CONTROL,
        Outcome.HOLDOUT: Arm.HOLDOUT,
        Outcome.NOTHING: None,
    }
