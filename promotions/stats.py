"""The statistics behind the results: intervals, lift tests and the sample-ratio check.

Plain functions over counts, so each one is checked against values computed by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

# A sample-ratio mismatch is a bug signal (broken assignment or logging), not a finding, so
# the usual threshold is strict: with p < 0.001 chance is a poor explanation.
SRM_THRESHOLD = 0.001


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 0) when ``n`` is 0."""
    if n == 0:
        return 0.0, 0.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    z = _z(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Lift:
    """Treatment minus control: absolute difference with its interval, relative lift, p-value."""

    difference: float
    low: float
    high: float
    relative: float | None  # difference / control rate; None when the control rate is 0
    p_value: float


def lift(
    treated_successes: int,
    treated_n: int,
    control_successes: int,
    control_n: int,
    confidence: float = 0.95,
) -> Lift | None:
    """Two-proportion comparison: pooled z-test p-value, unpooled (Wald) interval of the difference.

    None when either group is empty.
    """
    if treated_n == 0 or control_n == 0:
        return None
    p1, p0 = treated_successes / treated_n, control_successes / control_n
    difference = p1 - p0
    pooled = (treated_successes + control_successes) / (treated_n + control_n)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / treated_n + 1 / control_n))
    p_value = 1.0 if se_pooled == 0 else float(2 * stats.norm.sf(abs(difference) / se_pooled))
    se = math.sqrt(p1 * (1 - p1) / treated_n + p0 * (1 - p0) / control_n)
    z = _z(confidence)
    return Lift(
        difference=difference,
        low=difference - z * se,
        high=difference + z * se,
        relative=difference / p0 if p0 > 0 else None,
        p_value=p_value,
    )


@dataclass(frozen=True)
class SampleRatio:
    """Observed split against the configured one."""

    chi2: float
    p_value: float
    mismatch: bool


def sample_ratio_check(
    observed: Sequence[int], expected_shares: Sequence[float], threshold: float = SRM_THRESHOLD
) -> SampleRatio | None:
    """Chi-square goodness of fit of ``observed`` counts to ``expected_shares``.

    None when there are fewer than two groups with a positive share or an expected count
    below 5 (the chi-square approximation does not hold there).
    """
    if len(observed) != len(expected_shares):
        raise ValueError("observed and expected_shares must have the same length")
    pairs = [(o, s) for o, s in zip(observed, expected_shares, strict=True) if s > 0]
    total_share = sum(s for _, s in pairs)
    n = sum(o for o, _ in pairs)
    if len(pairs) < 2 or n == 0:
        return None
    expected = [n * s / total_share for _, s in pairs]
    if min(expected) < 5:
        return None
    chi2, p_value = stats.chisquare([o for o, _ in pairs], expected)
    return SampleRatio(float(chi2), float(p_value), bool(p_value < threshold))
