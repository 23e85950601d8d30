"""The placements benchmarks/recsys_retail_reorders.py compares (Online Retail's data is
read only by the benchmark itself)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.recsys_retail_reorders import (
    K,
    dueness,
    reorder_counts,
    reorder_share,
    slot_ranking,
)
from recsys.interactions import Interactions


def test_own_items_take_their_places_first_then_new_items_fill_the_rest():
    own = np.full((2, 30), -np.inf)
    own[:, [4, 7, 9]] = [3.0, 2.0, 1.0]  # both customers bought 4, 7 and 9
    new = np.tile(np.arange(30, 0, -1, dtype=float), (2, 1))  # new items: 0, 1, 2, ... best
    new[:, [4, 7, 9]] = -np.inf
    ranked = np.argsort(-slot_ranking(own, new, np.array([2, 0])), axis=1)[:, :K]
    assert ranked[0].tolist() == [4, 7, 0, 1, 2, 3, 5, 6, 8, 10]
    assert ranked[1].tolist() == [0, 1, 2, 3, 5, 6, 8, 10, 11, 12]


def test_reorder_share_counts_later_days_and_leans_on_the_shop_when_history_is_short():
    day = np.timedelta64(1, "D")
    start = np.datetime64("2011-01-01T10:00:00", "s")
    rows = [("a", 1, 0), ("a", 2, 0), ("a", 1, 3), ("a", 3, 3), ("a", 1, 3),
            ("b", 5, 0), ("b", 5, 1), ("b", 6, 1)]  # fmt: skip
    train = Interactions(
        users=np.array([r[0] for r in rows], dtype=object),
        items=np.array([r[1] for r in rows]),
        timestamps=np.array([start + r[2] * day for r in rows]),
        weights=np.ones(len(rows)),
    )
    counts = reorder_counts(train)
    # a: day 3 holds items 1 (bought on day 0) and 3 (new); b: day 1 holds 5 (again) and 6.
    assert counts.loc["a"].tolist() == [1, 2] and counts.loc["b"].tolist() == [1, 2]
    share = reorder_share(counts, ["a", "c"], prior=2.0)
    assert share[0] == pytest.approx((1 + 2 * 0.5) / (2 + 2))
    assert share[1] == pytest.approx(0.5)  # nobody knows c: the shop's share


def test_an_item_is_most_due_when_its_usual_gap_has_passed_since_she_last_bought_it():
    day = np.timedelta64(1, "D")
    start = np.datetime64("2011-01-01T00:00:00", "s")
    rows = [("a", 1, 0), ("a", 1, 10), ("a", 2, 0), ("a", 2, 18), ("a", 3, 5)]
    train = Interactions(
        users=np.array([r[0] for r in rows], dtype=object),
        items=np.array([r[1] for r in rows]),
        timestamps=np.array([start + r[2] * day for r in rows]),
        weights=np.ones(len(rows)),
    )
    due = dueness(train, start + 20 * day, ["a", "b"], np.array([1, 2, 3]))
    # Item 1: every 10 days, last 10 days ago (due 1); item 2: every 18 days, last 2 days
    # ago; item 3: bought on one day only; b: nothing.
    assert due[0, 0] == pytest.approx(1.0)
    assert due[0, 1] == pytest.approx(np.exp(-(((2 - 18) / 18) ** 2) / 2))
    assert due[0, 2] == 0.0 and not due[1].any()
