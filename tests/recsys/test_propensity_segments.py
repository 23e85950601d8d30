"""Propensity finds a planted signal and explains it; segments are stable and readable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from recsys.features import customer_features, purchase_label
from recsys.propensity import PropensityModel, rfm_logistic_baseline
from recsys.segments import RFMSegmenter, lifecycle_stage, segment_name

CUTOFF = pd.Timestamp("2024-06-01")


def _shop_history(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers whose chance of buying next month falls with days since their last order."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame(
        {"customer": np.arange(n), "created_at": CUTOFF - pd.Timedelta(days=400)}
    )
    rows = []
    for c in range(n):
        recency = int(rng.integers(1, 300))
        for k in range(int(rng.integers(1, 6))):
            rows.append(
                (
                    c,
                    f"{c}-{k}",
                    CUTOFF - pd.Timedelta(days=recency + 30 * k),
                    float(rng.uniform(10, 90)),
                )
            )
        if rng.random() < 0.85 * np.exp(-recency / 60):  # the planted signal
            rows.append(
                (c, f"{c}-next", CUTOFF + pd.Timedelta(days=int(rng.integers(0, 30))), 20.0)
            )
    orders = pd.DataFrame(rows, columns=["customer", "order", "timestamp", "amount"])
    return customers, orders


@pytest.fixture(scope="module")
def planted():
    customers, orders = _shop_history()
    X = customer_features(customers, orders, CUTOFF)
    y = purchase_label(X.index, orders, CUTOFF)
    return X, y


def test_features_use_only_orders_before_the_cutoff(planted):
    X, y = planted
    assert X["recency_days"].min() >= 1  # the "next" orders are after the cut-off
    assert 0.1 < y.mean() < 0.5


def test_planted_recency_signal_gives_high_held_out_auc(planted):
    X, y = planted
    train, test = X.index < 1000, X.index >= 1000
    model = PropensityModel(max_iter=200, cv=3).fit(X[train], y[train])
    auc = roc_auc_score(y[test], model.predict_proba(X[test]))
    assert auc > 0.75
    assert model.calibration_ in ("isotonic", "sigmoid")
    assert set(model.validation_brier_) == {"isotonic", "sigmoid"}


def test_top_reason_names_recency_for_a_very_recent_buyer(planted):
    X, y = planted
    model = PropensityModel(max_iter=200, cv=3).fit(X, y)
    recent = X.sort_values("recency_days").head(1)
    reasons = model.reasons(recent)[0]
    assert reasons[0].feature == "recency_days" and reasons[0].effect > 0
    assert reasons[0].text().startswith("days since the last order = ")
    assert "raises the score" in reasons[0].text()


def test_logistic_rfm_baseline_also_learns_the_signal(planted):
    X, y = planted
    train, test = X.index < 1000, X.index >= 1000
    baseline = rfm_logistic_baseline().fit(X[train], y[train])
    assert roc_auc_score(y[test], baseline.predict_proba(X[test])[:, 1]) > 0.7


def test_segments_are_identical_across_fits_on_the_same_data(planted):
    X, _ = planted
    first = RFMSegmenter().fit(X).predict(X)
    second = RFMSegmenter().fit(X.sample(frac=1.0, random_state=1)).predict(X)
    pd.testing.assert_series_equal(first, second)
    assert first.nunique() >= 4


def test_recent_frequent_big_spenders_are_champions_and_long_lapsed_are_lost(planted):
    X, _ = planted
    segmenter = RFMSegmenter().fit(X)
    best = X.head(1).assign(
        recency_days=2.0, frequency=X["frequency"].max(), monetary=X["monetary"].max()
    )
    worst = X.head(1).assign(recency_days=400.0, frequency=1.0, monetary=X["monetary"].min())
    assert segmenter.predict(best).iloc[0] == "champions"
    assert segmenter.predict(worst).iloc[0] == "lost"


def test_ties_share_a_score_so_one_time_buyers_are_not_ranked_frequent():
    many_single = pd.DataFrame(
        {
            "recency_days": np.arange(1.0, 101.0),
            "frequency": [1.0] * 60 + [3.0] * 40,
            "monetary": np.arange(100.0),
        }  # fmt: skip
    )
    scores = RFMSegmenter().fit(many_single).scores(many_single)
    assert set(scores["f"][:60]) == {2}  # mid-rank 30% -> score 2, for every one of them
    assert set(scores["f"][60:]) == {5}  # mid-rank 80%


def test_customers_without_orders_are_prospects():
    X = pd.DataFrame(
        {"recency_days": [999.0], "frequency": [0.0], "monetary": [0.0], "tenure_days": [10.0]}
    )
    segmenter = RFMSegmenter().fit(
        pd.DataFrame(
            {"recency_days": [1.0, 200.0, 5.0], "frequency": [5.0, 1.0, 4.0], "monetary": [1, 2, 3]}
        )
    )
    assert segmenter.predict(X).iloc[0] == "prospect"
    assert segmenter.lifecycle(X).iloc[0] == "prospect"


@pytest.mark.parametrize(
    ("recency", "frequency", "tenure", "stage"),
    [
        (999, 0, 10, "prospect"),
        (5, 1, 20, "new"),
        (30, 4, 300, "active"),
        (120, 4, 300, "lapsing"),
        (400, 4, 600, "churned"),
    ],  # fmt: skip
)
def test_lifecycle_stage_rules(recency, frequency, tenure, stage):
    assert lifecycle_stage(recency, frequency, tenure) == stage


def test_segment_grid_names():
    assert segment_name(5, 5, 5) == "champions"
    assert segment_name(5, 1, 1) == "new"
    assert segment_name(1, 5, 5) == "cannot lose"
    assert segment_name(1, 1, 1) == "lost"
