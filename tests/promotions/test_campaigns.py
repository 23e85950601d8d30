"""Campaign definitions: validation messages, YAML round trip, the sample campaigns."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import CampaignError, campaign_from_dict
from promotions.files import SAMPLE_DIR, read_campaign_dir, read_campaign_file, write_campaign_dir
from tests.promotions.conftest import campaign_dict


def problems_of(data: object) -> list[str]:
    with pytest.raises(CampaignError) as info:
        campaign_from_dict(data)
    return info.value.problems


def test_valid_campaign_round_trips_through_its_dict() -> None:
    campaign = campaign_from_dict(campaign_dict(starts_at="2025-06-01", ends_at="2025-07-01"))
    again = campaign_from_dict(campaign_to_dict(campaign))
    assert again == campaign
    assert again.rule.matches({}) is True


def test_every_problem_is_reported_at_once_with_its_location() -> None:
    data = campaign_dict(
        key="Bad Key!",
        status="live",
        triggers=["on_checkout"],
        eligibility="segmnt == 'loyal'",
        control_share=1.5,
    )
    data["variants"][0]["coupon"]["kind"] = "percnt"
    data["variants"][0]["template"] = "Hi {{ frist_name }}"
    problems = problems_of(data)
    joined = "\n".join(problems)
    assert "key: use 1-64 lower-case letters" in joined
    assert "status: must be one of draft, active, paused, ended, got 'live'" in joined
    assert "triggers[0]: unknown trigger 'on_checkout'" in joined
    assert "eligibility: unknown field 'segmnt' at column 1 — did you mean 'segment'?" in joined
    assert "control_share: must be between 0 and 0.9, got 1.5" in joined
    assert "variants[0].coupon.kind: must be 'percent' or 'amount', got 'percnt'" in joined
    assert "variants[0].template: variant 'a' template uses unknown slot 'frist_name'" in joined


def test_percent_over_100_and_duplicate_variant_keys_are_refused() -> None:
    data = campaign_dict()
    data["variants"][0]["coupon"]["value"] = 150
    data["variants"].append(dict(data["variants"][0]))
    problems = "\n".join(problems_of(data))
    assert "variants[0].coupon.value: must be between 0.01 and 100, got 150" in problems
    assert "variant key 'a' is used twice" in problems


def test_variant_without_coupon_cannot_mention_a_discount() -> None:
    data = campaign_dict()
    del data["variants"][0]["coupon"]
    problems = "\n".join(problems_of(data))
    assert "uses 'discount', but the variant has no coupon" in problems


def test_end_before_start_and_unknown_fields_are_refused() -> None:
    problems = "\n".join(
        problems_of(campaign_dict(starts_at="2025-07-01", ends_at="2025-06-01", colour="red"))
    )
    assert "ends_at: must be after starts_at" in problems
    assert "colour: unknown field" in problems


def test_buttons_need_a_known_action() -> None:
    data = campaign_dict()
    data["variants"][0]["buttons"] = [{"title": "Go", "action": "buy_now"}]
    assert any(
        "buttons[0].action: must be one of accept, decline, opt_out" in p for p in problems_of(data)
    )


def test_sample_campaigns_are_valid_and_cover_every_trigger() -> None:
    found = read_campaign_dir(SAMPLE_DIR)
    assert len(found.campaigns) >= 4
    assert found.settings is not None and found.settings.holdout_share > 0
    triggers = {t for c in found.campaigns if c.status == "active" for t in c.triggers}
    assert triggers == {
        "after_order_resolved",
        "with_recommendation",
        "returning_session_start",
        "product_hesitation",
    }


def test_export_then_read_gives_back_the_same_campaigns(tmp_path: Path) -> None:
    found = read_campaign_dir(SAMPLE_DIR)
    write_campaign_dir(tmp_path, list(found.campaigns), found.settings)
    again = read_campaign_dir(tmp_path)
    assert sorted(again.campaigns, key=lambda c: c.key) == sorted(
        found.campaigns, key=lambda c: c.key
    )
    assert again.settings == found.settings


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("key: x\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(CampaignError) as info:
        read_campaign_file(path)
    assert info.value.source == str(path)
    assert "not valid YAML" in info.value.problems[0]
    assert "line" in info.value.problems[0]


def test_a_file_may_hold_a_list_of_campaigns_and_settings(tmp_path: Path) -> None:
    path = tmp_path / "many.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "global_settings": {"holdout_share": 0.1, "max_offers_per_day": 2},
                "campaigns": [campaign_dict("one"), campaign_dict("two")],
            }
        ),
        encoding="utf-8",
    )
    found = read_campaign_file(path)
    assert [c.key for c in found.campaigns] == ["one", "two"]
    assert found.settings is not None and found.settings.max_offers_per_day == 2
