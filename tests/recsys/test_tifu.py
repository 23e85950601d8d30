"""TIFU-KNN: the paper's decayed basket vectors, its neighbours, and its place in the hybrid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.evaluation import evaluate_ranking
from recsys.hybrid import Hybrid
from recsys.interactions import Catalogue, Interactions
from recsys.tifu import TIFUKNN, nearest_users, user_vectors
from recsys.validation import ValidationScores, validation_split

from .conftest import START, make_catalogue

DAY = np.timedelta64(1, "D")


def _frame(rows: list[tuple[object, int, int]]) -> Interactions:
    frame = pd.DataFrame(rows, columns=["user", "item", "day"])
    frame["timestamp"] = START + frame["day"].to_numpy() * DAY
    return Interactions.from_frame(frame.drop(columns="day"))


def test_user_vector_decays_within_and_across_groups_of_baskets():
    # Baskets on days 1 {0}, 2 {0, 1} (item 1 twice: a basket is a set), 3 {2}.
    data = _frame([("a", 0, 1), ("a", 0, 2), ("a", 1, 2), ("a", 1, 2), ("a", 2, 3)])
    vec = user_vectors(data, np.array(["a"], dtype=object), np.arange(3),
                       group_size=2, within_decay=0.5, group_decay=0.25).toarray()[0]  # fmt: skip
    # Groups from the latest: {day 3, day 2} (full, size 2) and {day 1} (size 1); 2 groups.
    # day 3: 0.5**0 / 2 * 0.25**0 / 2 = 0.25; day 2: 0.5 / 2 / 2 = 0.125;
    # day 1: 1 / 1 * 0.25 / 2 = 0.125.
    np.testing.assert_allclose(vec, [0.125 + 0.125, 0.125, 0.25])


def test_nearest_users_are_the_ones_buying_the_same_things():
    rng = np.random.default_rng(0)
    rows = [(f"{side}{u}", int(i), int(d)) for side, items in (("x", range(0, 10)), ("y", range(10, 20)))
            for u in range(20) for d in range(3) for i in rng.choice(list(items), 3, replace=False)]  # fmt: skip
    model = TIFUKNN(neighbours=5).fit(_frame(rows), make_catalogue())
    for row, user in enumerate(model.user_ids_):
        friends = model.user_ids_[model.neighbours_[row]]
        assert user not in friends
        assert {f[0] for f in friends} == {user[0]}
    assert nearest_users(model.own_[:1], 5).shape == (1, 0)  # alone: nobody to ask


def test_a_customer_is_recommended_what_customers_like_them_buy():
    # Group x buys items 0-4 every week; "new" bought only 0 and 1, 3 weeks ago.
    rows = [(f"x{u}", i, d) for u in range(10) for d in range(0, 60, 7) for i in range(5)]
    rows += [(f"y{u}", i, d) for u in range(10) for d in range(0, 60, 7) for i in range(5, 10)]
    rows += [("new", 0, 40), ("new", 1, 40)]
    model = TIFUKNN(neighbours=5, alpha=0.7).fit(_frame(rows), make_catalogue())
    ranked = [r.item_id for r in model.recommend("new", k=5)]
    assert ranked[:2] in ([0, 1], [1, 0])  # own purchases first (alpha 0.7)
    assert set(ranked[2:]) == {2, 3, 4}


@pytest.mark.parametrize("fusion", ["max", "rank"])
def test_serving_path_matches_the_batch_scores_with_tifu(pairs, fusion):
    model = Hybrid(l2=10.0, w_tifu=1.0, tifu_neighbours=20, w_content=0.0, fusion=fusion)
    model.fit(pairs, make_catalogue())
    users = [0, 5, 17, 250, "guest"]
    batch = model.components(users)
    assert batch["tifu"][:4].max() > 0
    for i, user in enumerate(users):
        one = model.user_components(int(model.user_rows([user])[0]), np.zeros(0, np.int64))
        for name in batch:
            np.testing.assert_allclose(one[name], batch[name][i], rtol=1e-5, atol=1e-6)


def test_hybrid_of_tifu_alone_ranks_as_tifu_and_explains_neighbours_items(pairs):
    catalogue = make_catalogue()
    alone = Hybrid(w_repeat=0.0, w_cf=0.0, w_content=0.0, w_popularity=0.0, w_tifu=1.0,
                   tifu_neighbours=20, tifu_alpha=0.5)  # fmt: skip
    alone.fit(pairs, catalogue)
    tifu = TIFUKNN(neighbours=20, alpha=0.5).fit(pairs, catalogue)
    for mode in ("all", "new"):
        ours = evaluate_ranking(alone, pairs, mode=mode).ndcg
        assert ours == pytest.approx(evaluate_ranking(tifu, pairs, mode=mode).ndcg)
    never = next(r for r in alone.recommend(0, k=10, exclude_seen=True) if r.score > 0)
    assert never.reason == "popular with customers who buy what you buy"


def test_validation_scores_tifu_as_a_full_refit_would(pairs):
    """The tuning refits only TIFU's vectors when its parameters change: same numbers as
    fitting the whole hybrid with those parameters."""
    catalogue: Catalogue = make_catalogue()
    split = validation_split(pairs, "random")
    validation = ValidationScores(split, catalogue, k=10)
    for params in (
        {"w_tifu": 1.0, "tifu_neighbours": 20, "tifu_alpha": 0.5},
        {"w_tifu": 2.0, "tifu_neighbours": 100, "tifu_group_decay": 0.9, "fusion": "rank"},
    ):
        full = {"l2": 10.0, "w_content": 0.0, **params}
        ndcg_all, ndcg_new = validation.score(full)
        model = Hybrid(**full).fit(split.train, catalogue)
        assert ndcg_all == pytest.approx(evaluate_ranking(model, split.test, mode="all").ndcg)
        assert ndcg_new == pytest.approx(evaluate_ranking(model, split.test, mode="new").ndcg)


def test_parameters_of_a_component_weighed_zero_are_not_scored_again(pairs):
    split = validation_split(pairs, "random")
    validation = ValidationScores(split, make_catalogue(), k=10)
    base = {"l2": 10.0, "w_content": 0.0, "w_tifu": 0.0, "w_repeat": 0.0}
    first = validation.score({**base, "tifu_alpha": 0.5, "repeat_half_life_days": 90.0})
    # What the skipped scoring would have said: the same numbers.
    other = {**base, "tifu_alpha": 0.9, "tifu_neighbours": 5, "repeat_half_life_days": 365.0}
    assert ValidationScores(split, make_catalogue(), k=10).score(other) == first
    validation._score = None  # any scoring now fails
    assert validation.score(other) == first
    with pytest.raises(TypeError):
        validation.score({**other, "w_tifu": 1.0})
