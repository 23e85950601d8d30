"""The editor's form text to campaign mapping, problem placement, and chart geometry."""

from __future__ import annotations

from datetime import date

import pytest

from console.marketing.charts import interval_chart, nice_ceiling, timeline_chart
from console.marketing.form import campaign_data, field_errors, form_from_campaign
from promotions.campaigns import CampaignError, campaign_from_dict
from promotions.results import ArmResult
from promotions.timeline import DayCounts
from tests.console.campaign_helpers import campaign_mapping


def test_a_saved_campaign_survives_the_round_trip_through_the_form() -> None:
    campaign = campaign_from_dict(campaign_mapping(starts_at="2025-05-01T08:30"))

    again = campaign_from_dict(campaign_data(form_from_campaign(campaign)))

    assert again == campaign


@pytest.mark.parametrize(
    "targeting", [{"by": "uplift", "top_share": 0.3}, {"by": "uplift", "min_uplift": 0.02}]
)
def test_targeting_survives_the_round_trip_through_the_form(targeting: dict) -> None:
    campaign = campaign_from_dict(campaign_mapping(targeting=targeting))

    again = campaign_from_dict(campaign_data(form_from_campaign(campaign)))

    assert again == campaign and again.targeting is not None


def test_targeting_problems_are_filed_under_its_two_fields() -> None:
    form = form_from_campaign(campaign_from_dict(campaign_mapping()))
    form.fields.update(targeting="top_share", targeting_value="1.5")
    with pytest.raises(CampaignError) as raised:
        campaign_from_dict(campaign_data(form))

    assert set(field_errors(raised.value.problems)) == {"targeting_value"}
    form.fields.update(targeting="everyone-who-clicks", targeting_value="")
    with pytest.raises(CampaignError) as raised:
        campaign_from_dict(campaign_data(form))
    assert "targeting" in field_errors(raised.value.problems)


def test_blank_caps_mean_no_limit_and_unparseable_numbers_reach_the_validation_as_typed() -> None:
    form = form_from_campaign(campaign_from_dict(campaign_mapping()))
    form.fields.update(max_per_customer="", coupon_budget=" ", priority="high")

    data = campaign_data(form)

    assert data["caps"]["max_per_customer"] is None and data["caps"]["coupon_budget"] is None
    assert data["priority"] == "high"


def test_problems_are_filed_under_the_field_they_name() -> None:
    errors = field_errors(
        [
            "eligibility: '=' at column 3 — did you mean '=='?\n    a = 1\n      ^",
            "variants[1].coupon.value: must be at least 0.01, got 0",
            "variants[0].buttons[2].action: must be one of accept, decline, opt_out, got ''",
            "variants[0].coupon: must be a mapping",
            "caps.coupon_budget: must be a whole number, got 1.5",
            "triggers[0]: unknown trigger 'x'",
            "variants: variant key 'a' is used twice",
        ]
    )

    assert set(errors) == {
        "eligibility",
        "v1_coupon_value",
        "v0_buttons",
        "v0_coupon_kind",
        "coupon_budget",
        "triggers",
        "variants",
    }
    assert errors["eligibility"] == ["'=' at column 3 — did you mean '=='?\n    a = 1\n      ^"]


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (3, 5), (7, 10), (0.18, 0.2), (0.3, 0.5)])
def test_axis_tops_are_round_numbers(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == pytest.approx(ceiling)


def test_timeline_bars_are_proportional_and_the_line_follows_conversions() -> None:
    days = [DayCounts(date(2025, 6, d), e, 0, c, 0) for d, e, c in [(1, 10, 0), (2, 5, 2)]]

    chart = timeline_chart(days)

    assert chart is not None
    first, second = chart.bars
    assert first.height == pytest.approx(2 * second.height)
    assert first.y + first.height == pytest.approx(chart.plot_bottom)
    assert [p.value for p in chart.points] == [0, 2]
    assert chart.points[0].y == pytest.approx(chart.plot_bottom)
    assert timeline_chart([]) is None


def test_interval_rows_put_the_rate_between_its_bounds_and_skip_empty_arms() -> None:
    arm = ArmResult("a", 10, 0, 0, 4, 0.4, 0.17, 0.69, 0, 0, None)
    empty = ArmResult("holdout", 0, 0, 0, 0, 0, 0, 0, 0, 0, None)

    chart = interval_chart([arm, empty])

    assert chart is not None and [r.label for r in chart.rows] == ["a"]
    (row,) = chart.rows
    assert row.low_x < chart.plot_left + row.bar_width < row.high_x
    assert interval_chart([empty]) is None
