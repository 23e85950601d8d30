"""The tuned blend gives way to the best single model when its validation lead is noise
(the one-standard-error rule, ``recsys.tuning``)."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.tuning import tune_hybrid
from recsys.validation import ValidationScores, validation_split, window_objective

from .conftest import make_catalogue

BLEND = {"l2": 100.0, "w_cf": 1.0, "w_knn": 0.5, "w_popularity": 0.5, "w_repeat": -8.0,
         "w_content": 0.0, "fusion": "rank"}  # fmt: skip


def test_each_users_scores_average_to_the_validation_score(pairs):
    validation = ValidationScores(validation_split(pairs, "random"), make_catalogue(), 10)
    ndcg_all, ndcg_new = validation.score(BLEND)
    per_all, per_new = validation.per_user(BLEND)
    assert len(per_all) == len(validation.users) and len(per_new) == len(validation.new_rows)
    assert per_all.mean() == pytest.approx(ndcg_all) and per_new.mean() == pytest.approx(ndcg_new)
    # Every user drawn once is the sample itself; drawing one user alone is that user.
    n = len(validation.users)
    once = validation.bootstrap_objective(BLEND, np.ones((1, n), dtype=np.int64))
    assert once[0] == pytest.approx(window_objective([(ndcg_all, ndcg_new)]))
    first = np.zeros((1, n), dtype=np.int64)
    first[0, validation.new_rows[0]] = 1
    user = validation.new_rows[0]
    assert validation.bootstrap_objective(BLEND, first)[0] == pytest.approx(
        np.sqrt(per_all[user] * per_new[0])
    )


def _is_single_model(params: dict) -> bool:
    used = [name for name in ("w_cf", "w_knn", "w_tifu") if params[name] != 0]
    buy_again = not used and params["w_repeat"] > 0
    alone = len(used) == 1 and params["w_popularity"] == 0
    return params["w_content"] == 0 and (alone or buy_again)


GRIDS = {"structure_grid": {"l2": (100.0, 300.0), "train_half_life_days": (None,),
                            "trend_half_life_days": (7.0,), "repeat_half_life_days": (365.0,)}}  # fmt: skip


def test_a_blend_clearly_ahead_is_kept_and_one_within_noise_gives_way(pairs):
    catalogue = make_catalogue()
    # Random hold-out: EASE with popularity leads EASE alone by several standard errors.
    kept = tune_hybrid(pairs, catalogue, split_kind="random", **GRIDS)
    lead, se, replaced = kept.against_single or (0.0, 0.0, True)
    assert not replaced and lead > 3 * se > 0 and not _is_single_model(kept.params)
    forced = tune_hybrid(pairs, catalogue, split_kind="random", simpler_within_se=np.inf, **GRIDS)
    assert forced.against_single == (lead, se, True) and _is_single_model(forced.params)
    assert window_objective([(forced.ndcg_all, forced.ndcg_new)]) == pytest.approx(
        window_objective([(kept.ndcg_all, kept.ndcg_new)]) - lead
    )
    # Last month: the blend the search ends at leads by less than one standard error.
    blend = tune_hybrid(pairs, catalogue, split_kind="temporal", simpler_within_se=-np.inf, **GRIDS)
    assert not _is_single_model(blend.params)
    tuned = tune_hybrid(pairs, catalogue, split_kind="temporal", **GRIDS)
    lead, se, replaced = tuned.against_single or (0.0, 0.0, False)
    assert replaced and 0 < lead < se and _is_single_model(tuned.params)
    untested = tune_hybrid(pairs, catalogue, split_kind="temporal", single_models=(), **GRIDS)
    assert untested.against_single is None and untested.params == blend.params
