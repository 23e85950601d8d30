"""Ranking metrics checked against values computed by hand, and the protocol's two views."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys.evaluation import (
    average_precision_at_k,
    evaluate_ranking,
    mean_ndcg,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    relevance_matrix,
)
from recsys.interactions import Interactions, temporal_split
from recsys.popularity import Popularity
from tests.recsys.conftest import make_catalogue

RANKED = ["a", "b", "c", "d"]
RELEVANT = {"b", "d", "z"}


def test_precision_and_recall_count_hits_in_the_top_k():
    assert precision_at_k(RANKED, RELEVANT, 4) == pytest.approx(2 / 4)
    assert recall_at_k(RANKED, RELEVANT, 4) == pytest.approx(2 / 3)
    assert recall_at_k(RANKED, RELEVANT, 1) == 0.0


def test_ndcg_matches_hand_computed_value():
    # hits at ranks 2 and 4; ideal puts 3 hits at ranks 1..3
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(RANKED, RELEVANT, 4) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["b", "d", "z"], RELEVANT, 3) == pytest.approx(1.0)


def test_average_precision_matches_hand_computed_value():
    # precision at the hits: 1/2 at rank 2, 2/4 at rank 4; divided by min(|R|, k) = 3
    assert average_precision_at_k(RANKED, RELEVANT, 4) == pytest.approx((1 / 2 + 2 / 4) / 3)


def test_vectorised_ndcg_agrees_with_the_list_version():
    scores = np.array([[4.0, 3.0, 2.0, 1.0, 0.0]])
    relevance = relevance_matrix(["u"], [np.array([1, 3, 4])], 5)
    expected = ndcg_at_k([0, 1, 2, 3], {1, 3, 4}, 4)
    assert mean_ndcg(scores, relevance, k=4) == pytest.approx(expected)


def _history() -> Interactions:
    """User 1 bought items 0 and 1 before; afterwards buys 0 again and 2 (new)."""
    day = np.timedelta64(1, "D")
    start = np.datetime64("2024-01-01", "s")
    rows = [(1, 0, 0), (1, 1, 1), (2, 0, 2), (2, 2, 3), (3, 2, 4), (1, 0, 40), (1, 2, 41)]
    return Interactions(
        users=np.array([r[0] for r in rows]),
        items=np.array([r[1] for r in rows]),
        timestamps=np.array([start + r[2] * day for r in rows]),
        weights=np.ones(len(rows)),
    )


def test_new_items_view_ignores_rebuys_and_removes_seen_items_from_the_ranking():
    split = temporal_split(_history(), cutoff=np.datetime64("2024-01-20", "s"))
    model = Popularity(half_life_days=None).fit(split.train, make_catalogue())
    everything = evaluate_ranking(model, split.test, mode="all", k=2)
    new_only = evaluate_ranking(model, split.test, mode="new", k=2)
    # popularity ranks 0 and 2 first (2 buyers each): both test items are hit
    assert everything.users == 1 and everything.recall == pytest.approx(1.0)
    # in the new view only item 2 counts, and item 0/1 (seen) cannot be recommended
    assert new_only.users == 1 and new_only.recall == pytest.approx(1.0)
    assert new_only.precision == pytest.approx(1 / 2)


def test_ndcg_agrees_with_scikit_learns_reference_implementation():
    """A cross-check against a maintained library (scikit-learn's ``ndcg_score``): the
    same mean NDCG@10 on random scores without ties, and from the list version too."""
    from sklearn.metrics import ndcg_score

    rng = np.random.default_rng(7)
    scores = rng.random((300, 50))
    relevance = rng.random((300, 50)) < 0.08
    # Every user has something relevant, so the comparison never rests on empty rows.
    relevance[relevance.sum(axis=1) == 0, 0] = True
    reference = ndcg_score(relevance.astype(int), scores, k=10)
    assert mean_ndcg(scores, relevance, k=10) == pytest.approx(reference, rel=1e-9)
    per_list = [
        ndcg_at_k(list(np.argsort(-row)), set(np.flatnonzero(rel)), 10)
        for row, rel in zip(scores, relevance, strict=True)
    ]
    assert float(np.mean(per_list)) == pytest.approx(reference, rel=1e-9)


class _FixedScores:
    """A model whose scores are given: what the protocol does with them is under test."""

    name = "fixed"

    def __init__(self, scores: np.ndarray) -> None:
        self.scores, self.item_ids_ = scores, np.arange(scores.shape[1])

    def score(self, users: list[int]) -> np.ndarray:
        return self.scores[users].copy()


def test_protocol_map_and_ndcg_agree_with_scikit_learn():
    """The batch protocol's MAP@10 is the mean of the list version, whose AP over the whole
    ranking is scikit-learn's ``average_precision_score``; its NDCG@10 is ``ndcg_score``."""
    from sklearn.metrics import average_precision_score, ndcg_score

    rng = np.random.default_rng(11)
    scores = rng.random((200, 40))
    relevance = rng.random((200, 40)) < 0.1
    relevance[relevance.sum(axis=1) == 0, 3] = True
    users = list(range(len(scores)))
    relevant = [np.flatnonzero(row) for row in relevance]
    result = evaluate_ranking(_FixedScores(scores), None, users=users, relevant=relevant)  # type: ignore[arg-type]
    ranked = [list(np.argsort(-row)) for row in scores]
    per_user = [
        average_precision_at_k(r, set(rel.tolist()), 10)
        for r, rel in zip(ranked, relevant, strict=True)
    ]
    assert result.map == pytest.approx(np.mean(per_user), rel=1e-9)
    assert result.ndcg == pytest.approx(ndcg_score(relevance.astype(int), scores, k=10), rel=1e-9)
    for r, rel, row, truth in zip(ranked, relevant, scores, relevance, strict=True):
        full = average_precision_at_k(r, set(rel.tolist()), len(r))
        assert full == pytest.approx(average_precision_score(truth, row), rel=1e-9)
