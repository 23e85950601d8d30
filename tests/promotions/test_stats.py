"""The statistics, checked against values worked out by hand (z = 1.959964 for 95%)."""

from __future__ import annotations

import math

import pytest

from promotions.stats import lift, sample_ratio_check, wilson_interval

Z = 1.959963984540054


def test_wilson_interval_of_10_in_100() -> None:
    # centre = (0.1 + z²/200) / (1 + z²/100); half = z·sqrt(0.1·0.9/100 + z²/40000) / (1 + z²/100)
    denominator = 1 + Z**2 / 100
    centre = (0.1 + Z**2 / 200) / denominator
    half = Z * math.sqrt(0.0009 + Z**2 / 40_000) / denominator
    low, high = wilson_interval(10, 100)
    assert low == pytest.approx(centre - half, abs=1e-12)
    assert high == pytest.approx(centre + half, abs=1e-12)
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)  # published table value


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) == (0.0, 0.0)
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and high == pytest.approx(Z**2 / (20 + Z**2), abs=1e-12)  # 0.1611
    low, high = wilson_interval(20, 20)
    assert high == 1.0 and low == pytest.approx(20 / (20 + Z**2), abs=1e-12)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_two_proportion_lift_of_60_in_500_against_40_in_500() -> None:
    # pooled p = 100/1000 = 0.1; se = sqrt(0.1·0.9·(2/500)) = 0.018974; z = 0.04/0.018974 = 2.1082
    # two-sided p = 2·(1 − Φ(2.1082)) = 0.03502
    result = lift(60, 500, 40, 500)
    assert result is not None
    assert result.difference == pytest.approx(0.04)
    assert result.p_value == pytest.approx(0.035015, abs=5e-6)
    # unpooled se = sqrt(0.12·0.88/500 + 0.08·0.92/500) = sqrt(0.0003584) = 0.018931;
    # ±1.96·se = ±0.037105, so 0.0029 to 0.0771
    se = math.sqrt(0.12 * 0.88 / 500 + 0.08 * 0.92 / 500)
    assert result.low == pytest.approx(0.04 - Z * se, abs=1e-12)
    assert result.high == pytest.approx(0.04 + Z * se, abs=1e-12)
    assert (round(result.low, 4), round(result.high, 4)) == (0.0029, 0.0771)
    assert result.relative == pytest.approx(0.5)


def test_lift_without_a_group_or_without_variance() -> None:
    assert lift(5, 10, 0, 0) is None
    flat = lift(0, 10, 0, 10)
    assert flat is not None and flat.p_value == 1.0 and flat.relative is None


def test_sample_ratio_of_480_to_520_is_fine_and_400_to_600_is_a_mismatch() -> None:
    # chi² = (480−500)²/500 + (520−500)²/500 = 1.6 ; p = P(χ²₁ > 1.6) = 0.20590
    ok = sample_ratio_check([480, 520], [0.5, 0.5])
    assert ok is not None
    assert ok.chi2 == pytest.approx(1.6)
    assert ok.p_value == pytest.approx(0.205903, abs=1e-6)
    assert not ok.mismatch
    # chi² = 100²/500·2 = 40 ; p ≈ 2.5e-10
    bad = sample_ratio_check([400, 600], [0.5, 0.5])
    assert bad is not None and bad.chi2 == pytest.approx(40.0) and bad.mismatch


def test_sample_ratio_uses_unequal_configured_shares() -> None:
    # control 20%, a 40%, b 40% of 1000: expected 200/400/400; observed 210/380/410
    # chi² = 100/200 + 400/400 + 100/400 = 1.75 ; two degrees of freedom: p = e^(−1.75/2) = 0.41686
    result = sample_ratio_check([210, 380, 410], [0.2, 0.4, 0.4])
    assert result is not None
    assert result.chi2 == pytest.approx(1.75)
    assert result.p_value == pytest.approx(math.exp(-0.875), abs=1e-9)


def test_sample_ratio_needs_enough_data() -> None:
    assert sample_ratio_check([3, 2], [0.5, 0.5]) is None
    assert sample_ratio_check([10], [1.0]) is None
