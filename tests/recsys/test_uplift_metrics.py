"""Uplift metrics against values worked out by hand on six customers.

The six, already in descending score order (scores 0.9 ... 0.4):

    customer   0  1  2  3  4  5
    treated    1  0  1  0  1  0
    bought     1  0  1  1  0  0

Cumulative counts after k customers (N_T, Y_T, N_C, Y_C):
    k=1 (1,1,0,0)  k=2 (1,1,1,0)  k=3 (2,2,1,0)  k=4 (2,2,2,1)  k=5 (3,2,2,1)  k=6 (3,2,3,1)
"""

from __future__ import annotations

import numpy as np
import pytest

from recsys.uplift_eval import (
    qini_coefficient,
    qini_curve,
    uplift_at_top,
    uplift_auc,
    uplift_curve,
    uplift_scores,
)

SCORE = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
TREATED = np.array([1, 0, 1, 0, 1, 0])
BOUGHT = np.array([1, 0, 1, 1, 0, 0])


def test_qini_curve_is_treated_responders_minus_scaled_control_responders() -> None:
    # Q(k) = Y_T - Y_C * N_T / N_C (0 while N_C = 0):
    # 1-0, 1-0*1/1, 2-0*2/1, 2-1*2/2, 2-1*3/2, 2-1*3/3
    x, q = qini_curve(BOUGHT, SCORE, TREATED)

    np.testing.assert_array_equal(x, [0, 1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(q, [0, 1, 1, 2, 1, 0.5, 1])


def test_uplift_curve_is_rate_difference_times_customers_ranked() -> None:
    # U(k) = (Y_T/N_T - Y_C/N_C) * k: (1-0)*1, (1-0)*2, (1-0)*3, (1-1/2)*4, (2/3-1/2)*5, (2/3-1/3)*6
    x, u = uplift_curve(BOUGHT, SCORE, TREATED)

    np.testing.assert_array_equal(x, [0, 1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(u, [0, 1, 2, 3, 2, 5 / 6, 2])


def test_qini_coefficient_matches_the_hand_computed_areas() -> None:
    # Model: trapezoids 0.5+1+1.5+1.5+0.75+0.75 = 6; random line (0,0)-(6,1): 3; over it: 3.
    # Perfect score y*t - y*(1-t) = [1,0,1,-1,0,0] ranks customers 2,0 | 5,4,1 | 3 (blocks of
    # ties): points (2, 2), (5, 2 - 0*3/2 = 2), (6, 2 - 1*3/3 = 1); area 2 + 6 + 1.5 = 9.5,
    # over random 6.5. Coefficient 3 / 6.5.
    assert qini_coefficient(BOUGHT, SCORE, TREATED) == pytest.approx(3 / 6.5)


def test_auuc_matches_the_hand_computed_areas() -> None:
    # Model: 0.5+1.5+2.5+2.5+(2+5/6)/2+(5/6+2)/2 = 59/6; random line to (6, 2): 6; over: 23/6.
    # Control responders (1) do not outnumber treated non-responders (1): perfect score
    # 2*[y == t] + t = [3,2,3,0,1,2] ranks 2,0 | 5,1 | 4 | 3: points (2, 2), (4, 4),
    # (5, (2/3)*5), (6, 2); area 2 + 6 + 11/3 + 8/3 = 43/3, over random 25/3.
    assert uplift_auc(BOUGHT, SCORE, TREATED) == pytest.approx((23 / 6) / (25 / 3))


def test_uplift_at_top_compares_arms_within_the_top_share() -> None:
    # Top 4: treated 0, 2 both bought (1.0); control 1, 3: one of two (0.5).
    assert uplift_at_top(BOUGHT, SCORE, TREATED, 4 / 6) == pytest.approx(0.5)
    # Top 1: no control customer, so no estimate.
    assert np.isnan(uplift_at_top(BOUGHT, SCORE, TREATED, 1 / 6))


def test_tied_scores_count_as_one_block_so_a_constant_score_is_random() -> None:
    x, q = qini_curve(BOUGHT, np.zeros(6), TREATED)

    np.testing.assert_array_equal(x, [0, 6])
    assert qini_coefficient(BOUGHT, np.zeros(6), TREATED) == pytest.approx(0.0)


def test_reversing_the_ranking_flips_the_sign_of_the_area_over_random() -> None:
    # Reversed ranking of the same customers: Q = 0,0,0,-1,... differs in shape, so check
    # only the direction: the best ranking scores higher than its reverse.
    best = BOUGHT * TREATED - BOUGHT * (1 - TREATED)
    assert qini_coefficient(BOUGHT, best, TREATED) == pytest.approx(1.0)
    assert qini_coefficient(BOUGHT, -best, TREATED) < 0


def test_scores_of_a_continuous_outcome_leave_the_binary_auuc_out() -> None:
    spend = np.array([30.0, 0.0, 12.5, 8.0, 0.0, 0.0])

    scores = uplift_scores(spend, SCORE, TREATED)

    assert np.isnan(scores["auuc"])
    assert set(scores) == {"qini", "auuc", "uplift@10", "uplift@20", "uplift@30"}
    with pytest.raises(ValueError, match="0/1 outcomes"):
        uplift_auc(spend, SCORE, TREATED)


def test_metrics_refuse_a_treatment_that_is_not_zero_or_one() -> None:
    with pytest.raises(ValueError, match="0 \\(control\\) or 1"):
        qini_curve(BOUGHT, SCORE, np.array([0, 1, 2, 0, 1, 2]))
    with pytest.raises(ValueError, match="share"):
        uplift_at_top(BOUGHT, SCORE, TREATED, 0.0)
