"""Training fits the recommender the settings name, and serving answers with it.

A shop swaps its model with ``CONCIERGE_RECOMMENDER``: the next ``recsys train`` retrains
even though the data did not change, records the model's name with the artifact, and the
action server's loader serves it.
"""

from __future__ import annotations

import dataclasses

import pytest

from demo_shop.generator import generate
from recsys.artifacts import list_versions, load_artifact
from recsys.hybrid import Hybrid
from recsys.served import ServedModel
from recsys.serving import load_models
from recsys.store_data import load_store_data
from recsys.training import is_up_to_date, train_all
from tests.factories import migrated_store
from tests.recsys.test_store_training import _settings


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("choice")
    generate(migrated_store(folder), seed=5, customers=150, products=40, days=200)
    return folder


def test_changing_the_setting_retrains_the_chosen_model_and_serving_answers_with_it(
    small_store, embedder
):
    hybrid_settings = _settings(small_store)
    data = load_store_data(migrated_store(small_store))
    train_all(hybrid_settings, data, embedder=embedder, progress=False, tune=False)
    assert isinstance(load_models(hybrid_settings.artifacts_dir).recommender, Hybrid)

    knn_settings = dataclasses.replace(hybrid_settings, recommender="item_knn")
    assert not is_up_to_date(knn_settings, data.fingerprint())
    report = train_all(knn_settings, data, embedder=embedder, progress=False)
    assert not report.skipped
    assert report.metrics["recommender"]["ndcg@10_all"] > 0  # measured like the hybrid

    model, meta = load_artifact(knn_settings.artifacts_dir, "recommender")
    assert meta.params["model"] == "item_knn"
    served = load_models(knn_settings.artifacts_dir).recommender
    assert isinstance(served, ServedModel) and served.name == "item_knn"
    customer = int(data.orders["customer"].iloc[0])
    recs = served.recommend(customer, k=5)
    assert len(recs) == 5 and all(r.reason for r in recs)

    again = train_all(knn_settings, data, embedder=embedder, progress=False)
    assert again.skipped
    assert list_versions(knn_settings.artifacts_dir, "recommender") == ["v0001", "v0002"]
