"""Tuning scores each parameter set on several validation splits, all before the cut-off,
and its family holds "buy again" (personal popularity) as a start."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.evaluation import evaluate_ranking
from recsys.experiments import tune_baseline
from recsys.hybrid import Hybrid
from recsys.interactions import Interactions, random_split, temporal_split
from recsys.popularity import PersonalPopularity, Popularity
from recsys.tuning import BUY_AGAIN, tune_hybrid
from recsys.validation import ValidationScores, validation_splits, window_objective

from .conftest import make_catalogue


def _ndcgs(model: Hybrid | Popularity, test: Interactions) -> tuple[float, float]:
    """NDCG@10 on all purchases and on new items."""
    return (evaluate_ranking(model, test, mode="all").ndcg,
            evaluate_ranking(model, test, mode="new").ndcg)  # fmt: skip


def test_temporal_windows_are_consecutive_months_before_the_cut_off(pairs):
    split = temporal_split(pairs, test_days=30)
    windows = validation_splits(split.train, "temporal", valid_days=30, windows=2)
    assert len(windows) == 2
    day = np.timedelta64(1, "D")
    last, earlier = windows
    for window in windows:
        # Nothing at or after the test cut-off is read, and each window's training rows
        # end where its own period starts.
        assert window.train.end < split.cutoff and window.test.end < split.cutoff
        assert window.train.end < window.cutoff <= window.test.timestamps.min()
    assert earlier.cutoff == last.cutoff - 30 * day
    assert earlier.test.end < last.cutoff
    assert len(earlier.train) < len(last.train)


def test_an_earlier_window_without_data_is_left_out(pairs):
    # The planted purchases span 171 days: a window 150+ days back has nothing before it.
    windows = validation_splits(pairs, "temporal", valid_days=80, windows=3)
    assert len(windows) == 2
    assert windows[1].cutoff == windows[0].cutoff - np.timedelta64(80, "D")


def test_random_windows_are_different_draws_none_the_test_seed(pairs):
    windows = validation_splits(pairs, "random", windows=3)
    held = [set(zip(w.test.users.tolist(), w.test.items.tolist(), strict=True)) for w in windows]
    test_draw = random_split(pairs, seed=0).test
    test_pairs = set(zip(test_draw.users.tolist(), test_draw.items.tolist(), strict=True))
    assert len({frozenset(h) for h in [*held, test_pairs]}) == 4


def test_tuning_objective_is_the_mean_over_windows_of_full_refits(pairs):
    catalogue = make_catalogue()
    result = tune_hybrid(
        pairs, catalogue, split_kind="random", windows=2, starts=({},), single_models=(),
        structure_grid={"l2": (10.0,)},
        weight_grid={"w_content": (0.0,), "w_repeat": (0.0,), "w_popularity": (0.0, 1.0)},
    )  # fmt: skip
    assert result.windows == 2 and len(result.tried) == 2
    windows = validation_splits(pairs, "random", windows=2)
    for tried in result.tried:
        params = {k: v for k, v in tried.items() if not k.startswith(("ndcg", "objective"))}
        scores: list[tuple[float, float]] = []
        for window in windows:
            model = Hybrid(**params).fit(window.train, catalogue)
            scores.append(_ndcgs(model, window.test))
        assert tried["objective"] == pytest.approx(window_objective(scores))
        assert tried["ndcg_all"] == pytest.approx(np.mean([s[0] for s in scores]))
    # The two windows disagree, so the mean is not either one's score.
    assert scores[0] != pytest.approx(scores[1])


def test_window_objective_averages_each_windows_geometric_mean():
    assert window_objective([(0.16, 0.04), (0.09, 0.01)]) == pytest.approx((0.08 + 0.03) / 2)
    assert window_objective([(0.5, -0.1)]) == 0.0


def test_baselines_are_tuned_on_the_same_windows(pairs):
    catalogue = make_catalogue()
    grid = {"half_life_days": (7.0, None)}
    windows = validation_splits(pairs, "random", windows=2)

    def mean_score(params: dict) -> float:
        scores: list[tuple[float, float]] = []
        for window in windows:
            model = Popularity(**params).fit(window.train, catalogue)
            scores.append(_ndcgs(model, window.test))
        return window_objective(scores)

    expected = max(({"half_life_days": h} for h in grid["half_life_days"]), key=mean_score)
    assert tune_baseline(Popularity, grid, pairs, catalogue, split_kind="random") == expected


def test_buy_again_start_ranks_as_personal_popularity(pairs):
    catalogue = make_catalogue()
    hybrid = Hybrid(**{**BUY_AGAIN, "w_content": 0.0}).fit(pairs, catalogue)
    reference = PersonalPopularity(half_life_days=365.0, trend_half_life_days=7.0)
    reference.fit(pairs, catalogue)
    users = [0, 5, 17, 123, 250]
    for row, (ours, theirs) in enumerate(
        zip(hybrid.score(users), reference.score(users), strict=True)
    ):
        user = users[row]
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        bought = hybrid.seen_mask([user]).toarray()[0] > 0
        assert bought.any() and ours[bought].min() > ours[~bought].max()


def test_cached_components_score_as_a_full_refit_would(pairs):
    """Half-life changes recompute one component, other structures refit, the oldest fits
    are dropped: every score still equals fitting the whole hybrid with those parameters."""
    catalogue = make_catalogue()
    split = validation_splits(pairs, "random", windows=1)[0]
    validation = ValidationScores(split, catalogue, k=10)
    base = {"l2": 10.0, "w_content": 0.0, "w_repeat": 1.0, "repeat_floor": 0.5}
    sequence = [
        {},
        {"repeat_half_life_days": None},
        {"repeat_half_life_days": 30.0, "trend_half_life_days": 30.0, "fusion": "rank"},
        {"l2": 30.0, "w_knn": 1.0},
        {"l2": 100.0, "train_half_life_days": None},
        {"l2": 300.0, "trend_half_life_days": None},
        {"knn_neighbours": 5, "w_knn": 1.0},  # a fourth fit: the first is dropped
        {"repeat_half_life_days": 30.0},  # back to the first fit's structure
    ]
    for change in sequence:
        params = {**base, **change}
        model = Hybrid(**params).fit(split.train, catalogue)
        expected = _ndcgs(model, split.test)
        assert validation.score(params) == pytest.approx(expected, rel=1e-6), change
