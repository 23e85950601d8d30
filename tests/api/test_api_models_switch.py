"""A newly trained recommender is served without a restart; none at all is a clear 503."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from api.app import create_app
from api.schemas import RecommendationsQuery
from api.serving import ModelService
from api.typedefs import API_KEYS
from recsys.artifacts import load_artifact, save_artifact
from recsys.serving import load_models
from tests.api.conftest import TrainedShop
from tests.factories import add_customer, migrated_store
from tests.support.servers import isolated_settings

THREE = RecommendationsQuery.model_validate({"k": 3})


def test_a_newer_recommender_is_switched_to_and_a_broken_one_is_not(
    trained_shop: TrainedShop, tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    shutil.copytree(trained_shop.settings.artifacts_dir, artifacts)
    service = ModelService(artifacts, trained_shop.sessions)
    assert service.refresh() is True
    first = service.models.versions["recommender"]
    assert service.refresh() is False  # nothing new

    model, meta = load_artifact(artifacts, "recommender")
    newer = save_artifact(artifacts, "recommender", model, data_fingerprint=meta.data_fingerprint)
    assert service.refresh() is True
    assert newer.version != first
    answer = service.recommendations(trained_shop.customer_id, THREE)
    assert answer.model_version == newer.version and len(answer.items) == 3

    save_artifact(artifacts, "recommender", {"not": "a recommender"}, data_fingerprint="x")
    assert load_models(artifacts).recommender is None  # the newest one really is broken
    assert service.refresh() is False
    assert service.recommendations(trained_shop.customer_id, THREE).model_version == newer.version


async def test_without_trained_models_recommendations_are_a_503_problem(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    settings = replace(isolated_settings(tmp_path), artifacts_dir=tmp_path / "no-artifacts")
    customer = add_customer(migrated_store(tmp_path, "concierge.db"))
    client = await aiohttp_client(create_app(settings))
    token = client.app[API_KEYS].create("web", ["recommendations:read"])[1]

    response = await client.get(
        f"/v1/customers/{customer}/recommendations", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["type"] == "/v1/problems/model-unavailable"
    assert "python -m recsys train" in body["detail"]
    health = await client.get("/healthz")
    assert (await health.json())["models_loaded"] == []
