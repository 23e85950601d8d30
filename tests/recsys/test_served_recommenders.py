"""Every recommender a shop can choose serves the same way: one interface, by a setting.

Each name in ``recsys.names`` is built by the registry, fitted on the planted co-purchase
data and asked what serving asks (a customer, a guest, "more like this", out of stock, just
bought); the chosen model changes the ranking and nothing else a customer sees.
"""

from __future__ import annotations

import numpy as np
import pytest

from concierge.env_values import SettingsError
from concierge.settings import Settings
from recsys.hybrid import Hybrid
from recsys.names import RECOMMENDER_NAMES
from recsys.registry import build_recommender
from recsys.served import ServedModel, ServedRecommender
from recsys.serving import load_models
from tests.recsys.conftest import make_catalogue
from tests.recsys.test_recommenders import _with_buyer_of

# Small, fast parameters where a model's defaults are sized for a real shop.
PARAMS = {"hybrid": {"l2": 10.0, "w_content": 0.0}, "ease": {"l2": 10.0},
          "item_knn": {"neighbours": 10}}  # fmt: skip


def _fitted(name: str, interactions, stock=None) -> ServedRecommender:
    model = build_recommender(name, **PARAMS.get(name, {}))
    return model.fit(interactions, make_catalogue(stock=stock))


@pytest.mark.parametrize("name", RECOMMENDER_NAMES)
def test_every_recommender_answers_the_serving_questions(name, pairs):
    model = _fitted(name, _with_buyer_of(pairs, 6))
    assert isinstance(model, ServedRecommender)
    for recs in (
        model.recommend("probe", k=5),
        model.recommend(None, k=5),
        model.recommend(None, k=5, like_items=(4,)),
    ):
        assert len(recs) == 5
        assert all(r.reason for r in recs)
        assert len({r.item_id for r in recs}) == 5
    assert 4 not in [r.item_id for r in model.recommend(None, k=29, like_items=(4,))]


@pytest.mark.parametrize("name", RECOMMENDER_NAMES)
def test_no_recommender_serves_out_of_stock_or_just_bought_items(name, pairs):
    stock = np.full(30, 5)
    stock[7] = 0
    model = _fitted(name, _with_buyer_of(pairs, 6), stock=stock)
    served = [r.item_id for r in model.recommend("probe", k=29)]
    assert 7 not in served and 6 not in served
    assert len(served) == 28
    assert 6 in [r.item_id for r in model.recommend("probe", k=29, include_just_bought=True)]
    assert 12 not in [r.item_id for r in model.recommend("probe", k=29, exclude_items=(12,))]


@pytest.mark.parametrize("name", ["ease", "item_knn"])
def test_a_served_co_purchase_model_ranks_the_partner_first_and_says_why(name, pairs):
    model = _fitted(name, _with_buyer_of(pairs, 6))
    top = model.recommend("probe", k=1)[0]
    assert top.item_id == 7
    assert top.reason == "bought together with Item 6"
    like = model.recommend(None, k=1, like_items=(4,))[0]
    assert (like.item_id, like.reason) == (5, "bought together with Item 4")


def test_a_served_model_ranks_a_known_customer_by_the_model_itself(pairs):
    """The ranking is the wrapped model's: serving adds filters, not its own scores."""
    model = _fitted("ease", _with_buyer_of(pairs, 6))
    assert isinstance(model, ServedModel)
    raw = model.model.score(["probe"])[0]
    raw[6] = -np.inf  # just bought
    expected = [int(i) for i in np.argsort(-raw, kind="stable")[:5]]
    assert [r.item_id for r in model.recommend("probe", k=5)] == expected


def test_an_unknown_seed_item_is_reported_by_id(pairs):
    model = _fitted("item_knn", pairs)
    with pytest.raises(KeyError, match="999"):
        model.recommend(None, like_items=(999,))


def test_an_unknown_name_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="unknown recommender 'als2'; choose one of hybrid"):
        build_recommender("als2")


def test_the_setting_names_the_recommender_and_refuses_a_typo(monkeypatch):
    monkeypatch.setenv("CONCIERGE_RECOMMENDER", "ease")
    assert Settings.from_env().recommender == "ease"
    monkeypatch.setenv("CONCIERGE_RECOMMENDER", "EASE ")
    with pytest.raises(SettingsError, match="CONCIERGE_RECOMMENDER must be one of hybrid"):
        Settings.from_env()
    monkeypatch.delenv("CONCIERGE_RECOMMENDER")
    assert Settings.from_env().recommender == "hybrid"


def test_serving_loads_whichever_recommender_training_saved(pairs, tmp_path):
    from recsys.artifacts import save_artifact

    for name, expected in (("item_knn", ServedModel), ("hybrid", Hybrid)):
        save_artifact(tmp_path, "recommender", _fitted(name, pairs), data_fingerprint=name)
        models = load_models(tmp_path)
        assert isinstance(models.recommender, expected)
        assert models.recommender.name == name
