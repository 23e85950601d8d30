"""The item-KNN baseline is implicit's cosine item-item model, ranked as implicit ranks."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.baselines import ItemKNN
from tests.recsys.conftest import make_catalogue


@pytest.mark.parametrize("exclude_seen", [False, True])
def test_top_ten_equals_implicits_own_recommend(pairs, exclude_seen):
    model = ItemKNN(neighbours=8).fit(pairs, make_catalogue())
    binary = model.binary_purchases()
    checked = 0
    for user in model.user_ids_[:40]:
        row = int(model.user_rows([user])[0])
        ids, scores = model.model_.recommend(
            row, binary[row], N=10, filter_already_liked_items=exclude_seen
        )
        ours = model.recommend(user, k=10, exclude_seen=exclude_seen)
        ours_scores = np.array([r.score for r in ours])
        np.testing.assert_allclose(ours_scores, scores[: len(ours)], rtol=1e-5)
        # Same items, best first; ties (equal scores) may come in either order.
        for score in np.unique(np.round(scores, 5)):
            theirs = {int(i) for i, s in zip(ids, scores, strict=True) if round(s, 5) == score}
            mine = {int(r.item_id) for r in ours if round(r.score, 5) == score}
            if score > min(np.round(scores, 5)):  # the last tie group may be cut at 10
                assert mine == theirs
        checked += 1
    assert checked == 40


def test_an_items_own_similarity_counts_and_is_one(pairs):
    model = ItemKNN(neighbours=8).fit(pairs, make_catalogue())
    np.testing.assert_allclose(model.similarity_.diagonal(), 1.0, rtol=1e-6)
    # K counts the item itself: at most 8 stored similarities per item.
    assert np.diff(model.similarity_.indptr).max() <= 8
