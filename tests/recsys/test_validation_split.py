"""Tuning validates on a split of the same kind as the test split it stands in for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.experiments import compare_recommenders, tune_baseline
from recsys.interactions import DataError, Interactions
from recsys.popularity import Popularity
from recsys.tuning import tune_hybrid
from recsys.validation import validation_split

from .conftest import START, planted_pairs

SMALL_GRID = {"l2": (100.0,), "trend_half_life_days": (7.0,), "repeat_half_life_days": (90.0,)}


def _late_newcomers(pairs: Interactions) -> Interactions:
    """The planted pairs (days 0-170) plus customers who only appear 200+ days in.

    A last-month validation of such data holds no purchases by known customers, while a
    random per-user hold-out has plenty: the two kinds of validation see different data.
    """
    rng = np.random.default_rng(3)
    late = pd.DataFrame(
        [(f"late{u}", int(i), 200 + int(rng.integers(0, 20))) for u in range(40)
         for i in rng.choice(30, size=3, replace=False)],
        columns=["user", "item", "day"],
    )  # fmt: skip
    late["timestamp"] = START + late["day"].to_numpy() * np.timedelta64(1, "D")
    frame = pd.concat([pairs.to_frame()[["user", "item", "timestamp"]], late.drop(columns="day")])
    return Interactions.from_frame(frame)


def test_random_validation_holds_out_items_from_the_whole_history(pairs):
    split = validation_split(pairs, "random")
    held = split.test.timestamps
    # Spread over the whole history, not the last 30 days a temporal validation takes.
    assert held.min() < pairs.end - np.timedelta64(100, "D")
    train_pairs = set(zip(split.train.users.tolist(), split.train.items.tolist(), strict=True))
    test_pairs = set(zip(split.test.users.tolist(), split.test.items.tolist(), strict=True))
    assert test_pairs and not test_pairs & train_pairs


def test_temporal_validation_is_the_last_period(pairs):
    split = validation_split(pairs, "temporal", valid_days=30)
    assert split.test.timestamps.min() >= pairs.end - np.timedelta64(30, "D")


def test_random_split_tuning_works_where_the_last_month_has_no_known_customer(catalogue):
    data = _late_newcomers(planted_pairs())
    with pytest.raises(DataError, match="no purchases by known customers"):
        tune_hybrid(data, catalogue, split_kind="temporal", structure_grid=SMALL_GRID)
    tuned = tune_hybrid(data, catalogue, split_kind="random", structure_grid=SMALL_GRID)
    assert tuned.ndcg_new > 0.1
    assert tune_baseline(Popularity, {"half_life_days": (30.0,)}, data, catalogue,
                         split_kind="random") == {"half_life_days": 30.0}  # fmt: skip


def test_comparison_on_a_random_split_tunes_on_a_random_hold_out(catalogue):
    result = compare_recommenders(_late_newcomers(planted_pairs()), catalogue, split="random")
    assert result.split == "random"
    assert result.ndcg("hybrid", "new") > 0.1


def test_unknown_validation_kind_is_named():
    with pytest.raises(DataError, match="'weekly'"):
        validation_split(planted_pairs(), "weekly")
