"""``simulate --policies``: incremental orders per coupon, checked by hand on four customers."""

from __future__ import annotations

import math

import pytest

from promotions.uplift_report import (
    LoggedExposure,
    ScoredCustomer,
    format_report,
    policy_report,
    targeted,
)

# id, propensity, predicted uplift, true uplift
CUSTOMERS = [
    ScoredCustomer(1, 0.9, 0.0, 0.0),  # buys anyway: top by propensity
    ScoredCustomer(2, 0.8, 0.1, 0.1),
    ScoredCustomer(3, 0.1, 0.5, 0.4),  # persuadable: top by uplift
    ScoredCustomer(4, 0.2, 0.3, 0.2),
]
EXPOSURES = [
    LoggedExposure(1, True, True),
    LoggedExposure(1, False, True),
    LoggedExposure(2, True, False),
    LoggedExposure(2, False, False),
    LoggedExposure(3, True, True),
    LoggedExposure(3, True, True),
    LoggedExposure(3, False, False),
    LoggedExposure(4, True, False),
    LoggedExposure(4, False, True),
    LoggedExposure(99, True, True),  # not an offerable customer: ignored
]


def by_policy() -> dict:
    return {r.policy: r for r in policy_report(CUSTOMERS, EXPOSURES, share=0.5, draws=300)}


def test_true_incremental_orders_per_coupon_are_the_mean_true_uplift_of_the_targeted() -> None:
    results = by_policy()
    assert results["everyone"].coupons == 4
    assert results["everyone"].true_per_coupon.value == pytest.approx(0.7 / 4)
    assert results["everyone"].true_total == pytest.approx(0.7)
    assert results["propensity"].coupons == 2
    assert results["propensity"].true_per_coupon.value == pytest.approx(0.05)
    assert results["uplift"].true_per_coupon.value == pytest.approx(0.3)
    assert results["uplift"].true_total == pytest.approx(0.6)


def test_logged_estimate_is_the_order_rate_with_an_offer_minus_without() -> None:
    results = by_policy()
    # everyone: 3 of 5 offered exposures ordered, 2 of 4 without an offer
    assert results["everyone"].logged_per_coupon.value == pytest.approx(3 / 5 - 2 / 4)
    assert results["everyone"].logged_exposures == 9
    # customers 1 and 2: 1 of 2 either way
    assert results["propensity"].logged_per_coupon.value == pytest.approx(0.0)
    # customers 3 and 4: 2 of 3 offered, 1 of 2 not
    assert results["uplift"].logged_per_coupon.value == pytest.approx(2 / 3 - 1 / 2)
    assert results["uplift"].logged_exposures == 5


def test_intervals_surround_the_estimate_and_are_reproducible() -> None:
    first, second = by_policy(), by_policy()
    for name, result in first.items():
        interval = result.true_per_coupon
        assert interval.low <= interval.value <= interval.high
        assert interval == second[name].true_per_coupon
    assert first["uplift"].true_per_coupon.low > first["propensity"].true_per_coupon.low


def test_without_a_simulator_the_true_columns_are_empty_and_the_logged_remain() -> None:
    blind = [ScoredCustomer(c.customer_id, c.propensity, c.uplift) for c in CUSTOMERS]
    results = {r.policy: r for r in policy_report(blind, EXPOSURES, share=0.5, draws=50)}
    assert math.isnan(results["uplift"].true_per_coupon.value)
    assert results["uplift"].logged_per_coupon.value == pytest.approx(2 / 3 - 1 / 2)
    table = format_report(list(results.values()), 0.5)
    assert "top 50% by uplift" in table and "—" in table


def test_ties_are_broken_by_customer_id_and_bad_inputs_are_refused() -> None:
    tied = [ScoredCustomer(i, 0.5, 0.1) for i in (5, 3, 4)]
    assert targeted(tied, "uplift", 1 / 3).tolist() == [False, True, False]
    with pytest.raises(ValueError, match="unknown policy"):
        targeted(tied, "random", 0.3)
    with pytest.raises(ValueError, match="share"):
        policy_report(tied, [], share=0.0)
