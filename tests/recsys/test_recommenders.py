"""Each recommender recovers a planted co-purchase pattern; the hybrid filters and explains."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from recsys.base import Recommender
from recsys.baselines import ALS, ItemKNN
from recsys.ease import EASE
from recsys.hybrid import Hybrid
from recsys.interactions import Interactions
from recsys.popularity import PersonalPopularity, Popularity
from recsys.tuning import tune_hybrid
from tests.recsys.conftest import START, make_catalogue, planted_pairs


def _partner_rank(model: Recommender, user: object) -> int:
    ranked = [r.item_id for r in model.recommend(user, k=30, exclude_seen=True)]
    return ranked.index(7) if 7 in ranked else 99


def _with_buyer_of(interactions: Interactions, item: int, user: str = "probe") -> Interactions:
    """Add a user whose only purchase is ``item``."""
    return Interactions(
        users=np.concatenate([interactions.users.astype(object), [user]]),
        items=np.concatenate([interactions.items, [item]]),
        timestamps=np.concatenate([interactions.timestamps, [START + np.timedelta64(160, "D")]]),
        weights=np.concatenate([interactions.weights, [1.0]]),
    )


@pytest.mark.parametrize(
    "model", [EASE(l2=10.0), ItemKNN(neighbours=10), Hybrid(l2=10.0, w_content=0.0)]
)
def test_buyer_of_item_six_is_recommended_its_partner_first(pairs, model):
    data = _with_buyer_of(pairs, 6)
    model.fit(data, make_catalogue())
    assert _partner_rank(model, "probe") == 0


def test_als_puts_the_partner_in_its_top_three(pairs):
    model = ALS(factors=8, iterations=20, num_threads=1).fit(
        _with_buyer_of(pairs, 6), make_catalogue()
    )
    assert _partner_rank(model, "probe") < 3


def test_popularity_prefers_recent_purchases_with_a_short_half_life():
    day = np.timedelta64(1, "D")
    # item 0: 3 old buyers; item 1: 2 buyers yesterday
    data = Interactions(
        users=np.array([1, 2, 3, 4, 5]),
        items=np.array([0, 0, 0, 1, 1]),
        timestamps=np.array([START, START, START, START + 99 * day, START + 99 * day]),
        weights=np.ones(5),
    )
    recent = Popularity(half_life_days=7).fit(data, make_catalogue())
    all_time = Popularity(half_life_days=None).fit(data, make_catalogue())
    assert recent.recommend(None, k=1)[0].item_id == 1
    assert all_time.recommend(None, k=1)[0].item_id == 0


def test_hybrid_never_recommends_out_of_stock_items(pairs):
    stock = np.full(30, 5)
    stock[7] = 0
    model = Hybrid(l2=10.0, w_content=0.0).fit(
        _with_buyer_of(pairs, 6), make_catalogue(stock=stock)
    )
    recommended = [r.item_id for r in model.recommend("probe", k=29)]
    assert 7 not in recommended
    assert len(recommended) == 28  # everything in stock except the item just bought


def test_hybrid_explains_a_co_purchase_with_the_item_bought(pairs):
    model = Hybrid(l2=10.0, w_content=0.0, w_popularity=0.1).fit(
        _with_buyer_of(pairs, 6), make_catalogue()
    )
    top = model.recommend("probe", k=1)[0]
    assert top.item_id == 7
    assert top.reason == "bought together with Item 6"


def test_hybrid_leaves_out_just_bought_items_unless_asked(pairs):
    model = Hybrid(l2=10.0, w_content=0.0, w_repeat=5.0).fit(
        _with_buyer_of(pairs, 6), make_catalogue()
    )
    assert 6 not in [r.item_id for r in model.recommend("probe", k=10)]
    again = model.recommend("probe", k=10, include_just_bought=True)
    assert again[0].item_id == 6
    assert again[0].reason == "you have bought it before (1 time)"


def test_guest_gets_popular_items_with_a_category_reason(pairs):
    model = Hybrid(l2=10.0, w_content=0.0).fit(pairs, make_catalogue())
    recs = model.recommend(None, k=3)
    popularity = Popularity(half_life_days=7.0).fit(pairs, make_catalogue())
    assert [r.item_id for r in recs] == [r.item_id for r in popularity.recommend(None, k=3)]
    assert all(r.reason.startswith(("popular in ", "a best seller in ")) for r in recs)


def test_more_like_this_for_a_guest_uses_the_seed_item(pairs):
    model = Hybrid(l2=10.0, w_content=0.0).fit(pairs, make_catalogue())
    top = model.recommend(None, k=1, like_items=(4,))[0]
    assert top.item_id == 5
    assert top.reason == "bought together with Item 4"


def test_unknown_seed_item_is_reported_by_id(pairs):
    model = Hybrid(l2=10.0, w_content=0.0).fit(pairs, make_catalogue())
    with pytest.raises(KeyError, match="999"):
        model.recommend(None, like_items=(999,))


def test_personal_popularity_ranks_own_purchases_before_trending_items(pairs):
    model = PersonalPopularity().fit(_with_buyer_of(pairs, 25), make_catalogue())
    ranked = [r.item_id for r in model.recommend("probe", k=3)]
    assert ranked[0] == 25
    assert ranked[1:] == [r.item_id for r in Popularity(7.0).fit(pairs, make_catalogue()).recommend(None, k=3)
                          if r.item_id != 25][:2]  # fmt: skip


def test_personal_popularity_ranks_a_customer_the_same_whoever_is_scored_with_her(pairs):
    model = PersonalPopularity().fit(pairs, make_catalogue())
    users = [0, 5, 17, 123, 250]
    together = model.score(users)
    for row, user in enumerate(users):
        np.testing.assert_allclose(together[row], model.score([user])[0], rtol=1e-6)


def test_tuning_picks_a_grid_point_on_validation_and_records_every_try(pairs):
    result = tune_hybrid(
        pairs, make_catalogue(), valid_days=20,
        structure_grid={"l2": (10.0, 100.0)},
        weight_grid={"w_repeat": (1.0,), "w_content": (0.0,), "w_popularity": (0.1, 1.0)},
    )  # fmt: skip
    # Coordinate ascent: the start, then each other value of each parameter (at most 4).
    assert 3 <= len(result.tried) <= 4
    assert len({(t["l2"], t["w_popularity"]) for t in result.tried}) == len(result.tried)
    assert result.params["l2"] in (10.0, 100.0) and result.params["w_popularity"] in (0.1, 1.0)
    best = max(result.tried, key=lambda t: (t["ndcg_all"] * t["ndcg_new"]) ** 0.5)
    assert (best["ndcg_all"], best["ndcg_new"]) == (result.ndcg_all, result.ndcg_new)


def test_serving_path_scores_match_the_batch_scores_used_in_evaluation(pairs, embedder, tmp_path):
    from recsys.embeddings import embed_catalogue

    catalogue = embed_catalogue(make_catalogue(), embedder, tmp_path)
    model = Hybrid(l2=10.0, w_content=0.3, repeat_floor=0.5).fit(pairs, catalogue)
    users = [0, 5, 17, 250]
    batch = model.components(users, seeds=np.array([3]))
    for i, user in enumerate(users):
        one = model.user_components(int(model.user_rows([user])[0]), np.array([3]))
        for name in batch:
            np.testing.assert_allclose(one[name], batch[name][i], rtol=1e-5, atol=1e-6)


def test_never_bought_item_reaches_a_customer_through_its_text(embedder, tmp_path):
    from recsys.embeddings import embed_catalogue

    titles = np.array([f"Item {i}" for i in range(30)], dtype=object)
    titles[[3, 20, 21]] = ["Red ceramic table lamp", "Red ceramic bedside lamp", "Garden hose reel"]
    catalogue = embed_catalogue(
        dataclasses.replace(make_catalogue(), titles=titles), embedder, tmp_path
    )
    base = _with_buyer_of(planted_pairs(), 3)
    never_bought = ~np.isin(base.items, [20, 21])
    data = base.subset(never_bought)
    model = Hybrid(l2=10.0, w_content=1.0, w_popularity=0.0, w_cf=0.1).fit(data, catalogue)
    recs = {r.item_id: r.reason for r in model.recommend("probe", k=3)}
    assert recs.get(20) == "similar to Red ceramic table lamp"
    assert 21 not in recs
