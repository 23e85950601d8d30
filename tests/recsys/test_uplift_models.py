"""Uplift models recover a planted effect, and refuse data they cannot learn from."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from recsys.uplift import (
    ClassTransformationUplift,
    TwoModelUplift,
    XLearnerUplift,
)
from recsys.uplift_cv import GRID, RANDOM, compare_uplift_rankings
from recsys.uplift_plot import qini_svg
from recsys.uplift_select import SelectedUplift


def shoppers(n: int, seed: int, treated_share: float = 0.6) -> tuple[pd.DataFrame, ...]:
    """Customers whose response to an offer depends on who they are.

    ``loyal`` customers (x0 > 0.6) buy half the time with or without the offer (sure
    things); ``bargain`` customers (x1 > 0.5, not loyal) buy 5% of the time, 45% with the
    offer (persuadables); the rest buy 5% of the time either way. x2, x3 are noise.
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n, 4)), columns=["x0", "x1", "x2", "x3"])
    loyal = X["x0"].to_numpy() > 0.6
    bargain = (X["x1"].to_numpy() > 0.5) & ~loyal
    true_uplift = np.where(bargain, 0.40, 0.0)
    base = np.where(loyal, 0.5, 0.05)
    treatment = (rng.random(n) < treated_share).astype(int)
    y = (rng.random(n) < base + treatment * true_uplift).astype(int)
    return X, pd.Series(treatment), pd.Series(y), pd.Series(true_uplift)


MODELS = {
    "T-learner": lambda: TwoModelUplift(HistGradientBoostingClassifier(max_iter=60)),
    "X-learner": lambda: XLearnerUplift(
        HistGradientBoostingClassifier(max_iter=60), HistGradientBoostingRegressor(max_iter=60)
    ),
    "class transformation": lambda: ClassTransformationUplift(
        HistGradientBoostingClassifier(max_iter=60)
    ),
    "T-learner (logistic)": lambda: TwoModelUplift(LogisticRegression()),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_planted_effect_is_recovered_on_new_customers(name: str) -> None:
    X, t, y, _ = shoppers(6000, seed=1)
    X_new, _, _, true_new = shoppers(4000, seed=2)

    predicted = MODELS[name]().fit(X, t, y).predict_uplift(X_new)

    order = np.argsort(-predicted)
    decile = len(order) // 10
    top, bottom = true_new.to_numpy()[order[:decile]], true_new.to_numpy()[order[-decile:]]
    # Top decile: (nearly) all persuadables, true uplift 0.40; bottom: none.
    assert top.mean() > 0.3
    assert top.mean() - bottom.mean() > 0.25


def test_x_learner_estimates_the_size_of_the_effect_not_only_its_order() -> None:
    X, t, y, true = shoppers(8000, seed=3)

    predicted = MODELS["X-learner"]().fit(X, t, y).predict_uplift(X)

    persuadable = true.to_numpy() > 0
    assert predicted[persuadable].mean() == pytest.approx(0.40, abs=0.07)
    assert predicted[~persuadable].mean() == pytest.approx(0.0, abs=0.05)


def test_uplift_ranking_beats_propensity_where_sure_things_buy_anyway() -> None:
    # The customers most likely to buy (loyal) gain nothing from the offer, so ranking by
    # the likelihood of buying targets the wrong people; the cross-validated harness must
    # show it on every fold.
    X, t, y, _ = shoppers(4000, seed=4)

    result = compare_uplift_rankings(
        {"T-learner": MODELS["T-learner"]},
        {"propensity": (HistGradientBoostingClassifier(max_iter=60), False)},
        X,
        t,
        y,
        folds=3,
    )

    summary = result.summary()
    assert list(summary.index) == ["T-learner", "propensity", RANDOM]
    assert result.wins("T-learner", "propensity") == 3
    assert result.wins("T-learner", RANDOM) == 3
    # Ranking by the true uplift scores 0.198 on these 4,000 customers (the perfect ranking
    # of the coefficient's denominator sorts by realised outcomes, which no model can).
    assert summary.loc["T-learner", "qini_mean"] > 0.12
    # Persuadables offered the coupon buy nearly as often as loyal customers, so ranking by
    # the likelihood of buying mixes both: little better than random.
    assert summary.loc["propensity", "qini_mean"] < summary.loc["T-learner", "qini_mean"] - 0.08
    gap, spread = result.difference("T-learner", "propensity")
    assert gap == pytest.approx(
        summary.loc["T-learner", "qini_mean"] - summary.loc["propensity", "qini_mean"]
    )
    assert spread >= 0.0
    curves = result.mean_curves()
    assert curves["T-learner"].shape == GRID.shape
    assert curves["T-learner"][0] == 0.0


def test_models_learn_amounts_with_regressors() -> None:
    X, t, _, true = shoppers(4000, seed=5)
    rng = np.random.default_rng(5)
    # Persuadables spend 12 more with the offer (30 x their 0.40 uplift); others the same.
    spend = 20.0 + 30.0 * true.to_numpy() * t.to_numpy() + rng.normal(0, 2, len(t))
    persuadable = true.to_numpy() > 0

    for model in (
        TwoModelUplift(HistGradientBoostingRegressor(max_iter=60)),
        XLearnerUplift(HistGradientBoostingRegressor(max_iter=60)),
    ):
        predicted = model.fit(X, t, spend).predict_uplift(X)
        assert predicted[persuadable].mean() == pytest.approx(12.0, abs=1.5)
        assert predicted[~persuadable].mean() == pytest.approx(0.0, abs=1.0)


@pytest.mark.parametrize("name", list(MODELS))
def test_one_arm_only_is_refused_with_a_clear_message(name: str) -> None:
    X, _, y, _ = shoppers(300, seed=6)

    with pytest.raises(ValueError, match="only one arm"):
        MODELS[name]().fit(X, np.ones(len(y), dtype=int), y)


@pytest.mark.parametrize("name", list(MODELS))
def test_non_binary_treatment_is_refused_naming_the_fix(name: str) -> None:
    X, _, y, _ = shoppers(300, seed=7)
    three_arms = np.arange(len(y)) % 3

    with pytest.raises(ValueError, match="compare one arm with control"):
        MODELS[name]().fit(X, three_arms, y)


def test_other_bad_inputs_get_clear_errors() -> None:
    X, t, y, _ = shoppers(300, seed=8)
    with pytest.raises(ValueError, match="same length"):
        TwoModelUplift().fit(X, t[:-1], y)
    with pytest.raises(ValueError, match="0/1"):
        ClassTransformationUplift().fit(X, t, y * 2.5)
    with pytest.raises(ValueError, match="needs a classifier"):
        ClassTransformationUplift(LinearRegression()).fit(X, t, y)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        XLearnerUplift(propensity=1.0).fit(X, t, y)
    no_control_buyer = y.where(t == 1, 0)
    with pytest.raises(ValueError, match="control arm has only one outcome"):
        TwoModelUplift().fit(X, t, no_control_buyer)


def test_qini_svg_draws_one_line_per_ranking_with_the_same_colour_in_every_panel() -> None:
    rising = GRID * 10
    panels = {
        "visit": {"model": rising, "random": GRID * 0},
        "spend": {"random": -rising, "model": rising},
    }

    svg = ET.fromstring(qini_svg(panels, GRID))

    ns = "{http://www.w3.org/2000/svg}"
    lines = svg.findall(f"{ns}polyline")
    assert len(lines) == 4
    colours = [line.get("stroke") for line in lines]
    assert colours[0] == colours[3] and colours[1] == colours[2] and colours[0] != colours[1]
    texts = [t.text for t in svg.findall(f"{ns}text")]
    assert "visit" in texts and "model" in texts


def test_selection_on_inner_validation_keeps_the_model_that_ranks_and_refits_it() -> None:
    X, t, y, _ = shoppers(4000, seed=9)
    candidates = {
        # A real model that learned nothing: each arm's base rate, so one uplift for all.
        "base rates": lambda: TwoModelUplift(DummyClassifier()),
        "T-learner": MODELS["T-learner"],
    }

    selected = SelectedUplift(candidates, random_state=0).fit(X, t, y)

    assert selected.chosen_ == "T-learner"
    assert selected.validation_scores_["T-learner"] > 0.1
    assert selected.validation_scores_["base rates"] == pytest.approx(0.0)
    refitted = MODELS["T-learner"]().fit(X, t, y).predict_uplift(X)
    np.testing.assert_allclose(selected.predict_uplift(X), refitted)
    with pytest.raises(ValueError, match="at least one candidate"):
        SelectedUplift({}).fit(X, t, y)
