"""The hybrid's scalings, its item-KNN component, and artifacts saved before they existed."""

from __future__ import annotations

import joblib
import numpy as np
import pytest

from recsys.fusion import cosine_neighbours, rank_scores, scale
from recsys.hybrid import Hybrid

from .conftest import make_catalogue


def test_rank_scaling_gives_the_top_item_one_and_keeps_zeros_at_zero():
    raw = np.array([[0.0, 3.0, 1.0, 0.5], [2.0, 0.0, 0.0, 0.0]])
    out = rank_scores(raw, offset=10.0)
    np.testing.assert_allclose(out[0], [0.0, 1.0, 11 / 12, 11 / 13], rtol=1e-6)
    np.testing.assert_allclose(out[1], [1.0, 0.0, 0.0, 0.0])


def test_rank_scaling_ignores_the_raw_scale_max_scaling_does_not():
    rng = np.random.default_rng(0)
    raw = rng.random((5, 50))
    peaked = 100.0 * raw**6  # same order, another shape: a component on another data set
    np.testing.assert_allclose(scale(raw, "rank", 10.0), scale(peaked, "rank", 10.0))
    assert not np.allclose(scale(raw, "max", 10.0), scale(peaked, "max", 10.0))


def test_unknown_fusion_is_named():
    with pytest.raises(ValueError, match="'sum'"):
        scale(np.ones((1, 3)), "sum", 10.0)


def test_cosine_neighbours_keeps_the_most_similar_items_per_column():
    items = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 1, 1]], dtype=float)
    gram = items.T @ items
    sim = cosine_neighbours(gram, neighbours=1).toarray()
    assert (sim > 0).sum(axis=0).max() == 1 and np.all(np.diag(sim) == 0)
    # Item 1 is bought only with item 0: cosine 2 / sqrt(3 * 2).
    assert sim[0, 1] == pytest.approx(2 / np.sqrt(6))


@pytest.mark.parametrize("fusion", ["max", "rank"])
def test_serving_path_matches_the_batch_scores_with_item_knn(pairs, fusion):
    model = Hybrid(l2=10.0, w_knn=0.5, w_content=0.0, fusion=fusion, repeat_floor=0.5)
    model.fit(pairs, make_catalogue())
    users = [0, 5, 17, 250]
    batch = model.components(users, seeds=np.array([3]))
    for i, user in enumerate(users):
        one = model.user_components(int(model.user_rows([user])[0]), np.array([3]))
        for name in batch:
            np.testing.assert_allclose(one[name], batch[name][i], rtol=1e-5, atol=1e-6)


def test_item_knn_alone_recommends_the_planted_partner_with_a_reason(pairs):
    model = Hybrid(w_repeat=0.0, w_cf=0.0, w_knn=1.0, w_content=0.0, w_popularity=0.0)
    model.fit(pairs, make_catalogue())
    buyer = next(u for u, i in zip(pairs.users, pairs.items, strict=True) if i == 6)
    recs = model.recommend(buyer, k=1, exclude_seen=False, include_just_bought=True,
                           like_items=(6,))  # fmt: skip
    assert recs[0].item_id == 7
    assert recs[0].reason == "bought together with Item 6"


def test_a_hybrid_saved_before_item_knn_and_rank_fusion_loads_and_serves_as_before(pairs, tmp_path):
    model = Hybrid(l2=10.0, w_content=0.0).fit(pairs, make_catalogue())
    expected = [model.recommend(user, k=5) for user in (0, 5, 17, None)]
    old = Hybrid(l2=10.0, w_content=0.0).fit(pairs, make_catalogue())
    for added in ("w_knn", "knn_neighbours", "fusion", "rank_offset", "knn_weights_", "w_tifu",
                  "tifu_alpha", "tifu_group_size", "tifu_within_decay", "tifu_group_decay",
                  "tifu_neighbours", "tifu_"):  # fmt: skip
        del old.__dict__[added]  # the attributes an artifact of the earlier class lacks
    joblib.dump(old, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert [loaded.recommend(user, k=5) for user in (0, 5, 17, None)] == expected
