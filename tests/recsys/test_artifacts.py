"""Versioned artifacts: save, load back the same model, read metadata, fail clearly."""

from __future__ import annotations

import json

import pytest

from recsys.artifacts import (
    ArtifactError,
    latest_metadata,
    list_versions,
    load_artifact,
    save_artifact,
)
from recsys.hybrid import Hybrid
from recsys.serving import load_models


def test_saved_hybrid_loads_back_with_identical_recommendations(tmp_path, pairs, catalogue):
    model = Hybrid(l2=10.0, w_content=0.0).fit(pairs, catalogue)
    meta = save_artifact(tmp_path, "recommender", model, data_fingerprint=pairs.fingerprint(),
                         metrics={"ndcg@10": 0.5}, params={"l2": 10.0})  # fmt: skip
    loaded, loaded_meta = load_artifact(tmp_path, "recommender")
    assert loaded_meta == meta
    assert loaded_meta.metrics == {"ndcg@10": 0.5}
    for user in (0, 1, 2, None):
        assert loaded.recommend(user, k=5) == model.recommend(user, k=5)


def test_each_save_is_a_new_version_and_latest_points_at_it(tmp_path):
    first = save_artifact(tmp_path, "segments", {"a": 1}, data_fingerprint="f1")
    second = save_artifact(tmp_path, "segments", {"a": 2}, data_fingerprint="f2")
    assert (first.version, second.version) == ("v0001", "v0002")
    assert list_versions(tmp_path, "segments") == ["v0001", "v0002"]
    assert latest_metadata(tmp_path, "segments").data_fingerprint == "f2"
    assert load_artifact(tmp_path, "segments")[0] == {"a": 2}
    assert load_artifact(tmp_path, "segments", "v0001")[0] == {"a": 1}
    stored = json.loads((tmp_path / "segments" / "v0002" / "metadata.json").read_text())
    assert set(stored) >= {"version", "created_at", "data_fingerprint", "metrics"}


def test_missing_artifact_error_says_to_train(tmp_path):
    with pytest.raises(ArtifactError, match="python -m recsys train"):
        load_artifact(tmp_path, "recommender")
    assert latest_metadata(tmp_path, "recommender") is None


def test_corrupt_model_file_is_reported_with_its_path(tmp_path):
    save_artifact(tmp_path, "search", [1, 2, 3], data_fingerprint="f")
    (tmp_path / "search" / "v0001" / "model.joblib").write_bytes(b"not a pickle")
    with pytest.raises(ArtifactError, match="model.joblib"):
        load_artifact(tmp_path, "search")


def test_serving_loader_reports_missing_models_instead_of_raising(tmp_path):
    models = load_models(tmp_path)
    assert not models.ready
    assert models.recommender is None and "recommender" in models.problems
    assert "python -m recsys train" in models.problems["search"]


def test_serving_loader_loads_latest_recommender_and_reports_version(tmp_path, pairs, catalogue):
    save_artifact(tmp_path, "recommender", Hybrid(l2=10.0, w_content=0.0).fit(pairs, catalogue),
                  data_fingerprint="f")  # fmt: skip
    save_artifact(tmp_path, "search", {"not": "a search index"}, data_fingerprint="f")
    models = load_models(tmp_path)
    assert models.versions == {"recommender": "v0001"}
    assert models.recommender is not None and models.search is None
    assert "holds a dict" in models.problems["search"]
