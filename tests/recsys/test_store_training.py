"""recsys against a real SQLite store: reading history, writing tags, training end to end."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from concierge.settings import Settings
from demo_shop.generator import generate
from recsys.artifacts import ArtifactError, list_versions, load_artifact, save_artifact
from recsys.interactions import DataError
from recsys.segments import SEGMENT_NAMES
from recsys.store_data import load_store_data, write_customer_tags
from recsys.training import ARTIFACT_FORMAT, ARTIFACT_NAMES, is_up_to_date, train_all
from store.models import Customer
from tests.factories import (
    add_customer,
    add_event,
    add_order,
    add_product,
    migrated_store,
    sqlite_url,
)

T0 = datetime(2024, 3, 1, 12)


def _settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, db_url=sqlite_url(tmp_path), tracker_db_url=sqlite_url(tmp_path, "t.db"),
                    artifacts_dir=tmp_path / "artifacts", policy_file=tmp_path / "policy.yml")  # fmt: skip


def test_loader_reads_purchases_and_views_but_not_cancelled_orders(tmp_path):
    sessions = migrated_store(tmp_path)
    lamp = add_product(sessions, title="Red lamp", category="lighting", colour="red", stock=0)
    mug = add_product(sessions, title="Blue mug", category="kitchen", colour="blue")
    anna = add_customer(sessions)
    add_order(sessions, customer_id=anna, lines=[(lamp, 2), (mug, 1)], placed_at=T0)
    add_order(
        sessions,
        customer_id=anna,
        lines=[(mug, 1)],
        status="cancelled",
        placed_at=T0 + timedelta(days=1),
    )
    add_event(sessions, anna, "view", product_id=mug, at=T0 + timedelta(days=2))
    add_event(sessions, anna, "search", query="lamps", at=T0 + timedelta(days=2))

    data = load_store_data(sessions)
    rows = sorted(
        zip(data.interactions.items.tolist(), data.interactions.kinds.tolist(), strict=True)
    )
    assert rows == [(lamp, "purchase"), (mug, "purchase"), (mug, "view")]
    assert data.catalogue.in_stock().tolist() == [False, True]
    assert len(data.orders) == 1 and data.orders["amount"].iloc[0] > 0
    assert set(data.events["kind"]) == {"view", "search"}


def test_tags_are_merged_keeping_keys_recsys_does_not_own(tmp_path):
    sessions = migrated_store(tmp_path)
    anna = add_customer(sessions, tags={"vip": True, "segment": "old"})
    bob = add_customer(sessions)
    updated = write_customer_tags(
        sessions, {anna: {"segment": "champions"}, bob: {"propensity": 0.3}, 999: {}}
    )
    assert updated == 2
    with sessions() as s:
        assert s.get(Customer, anna).tags == {"vip": True, "segment": "champions"}
        assert s.get(Customer, bob).tags == {"propensity": 0.3}


def test_empty_store_is_refused_with_a_message(tmp_path):
    with pytest.raises(ValueError, match="no products or no orders"):
        load_store_data(migrated_store(tmp_path))


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    sessions = migrated_store(folder)
    generate(sessions, seed=3, customers=250, products=60, days=240)
    return folder


def test_training_on_demo_data_saves_artifacts_tags_customers_and_skips_when_unchanged(
    demo_store, embedder
):
    settings = _settings(demo_store)
    data = load_store_data(migrated_store(demo_store))
    report = train_all(settings, data, embedder=embedder, progress=False)
    assert not report.skipped
    assert set(report.versions) == set(ARTIFACT_NAMES)
    assert report.metrics["recommender"]["ndcg@10_all"] > 0
    assert 0.5 < report.metrics["propensity"]["propensity"]["roc_auc"] <= 1.0

    recommender, meta = load_artifact(settings.artifacts_dir, "recommender")
    assert meta.data_fingerprint == data.fingerprint()
    customer = int(data.orders["customer"].iloc[0])
    recs = recommender.recommend(customer, k=5)
    assert len(recs) == 5 and all(r.reason for r in recs)

    with migrated_store(demo_store)() as s:
        tags = [c.tags for c in s.query(Customer).all()]
    assert report.tagged_customers == len(tags)
    assert all(t["segment"] in (*SEGMENT_NAMES, "prospect") for t in tags)
    assert all(0.0 <= t["propensity"] <= 1.0 for t in tags)

    again = train_all(
        settings, load_store_data(migrated_store(demo_store)), embedder=embedder, progress=False
    )
    assert again.skipped
    assert list_versions(settings.artifacts_dir, "recommender") == ["v0001"]


def test_loading_artifacts_before_any_training_fails_clearly(tmp_path):
    with pytest.raises(ArtifactError, match="no artifact 'recommender'"):
        load_artifact(tmp_path, "recommender")


def test_training_on_a_store_with_too_little_history_names_the_problem(tmp_path, embedder):
    sessions = migrated_store(tmp_path)
    lamp = add_product(sessions, title="Red lamp")
    mug = add_product(sessions, title="Blue mug")
    for day in range(3):
        anna = add_customer(sessions, created_at=T0 - timedelta(days=30))
        add_order(
            sessions,
            customer_id=anna,
            lines=[(lamp, 1), (mug, 1)],
            placed_at=T0 + timedelta(days=day),
        )
    with pytest.raises(DataError, match="propensity needs at least 10 customers who ordered"):
        train_all(_settings(tmp_path), load_store_data(sessions), embedder=embedder, progress=False)


def test_artifacts_of_an_older_format_count_as_out_of_date(tmp_path):
    settings = _settings(tmp_path)
    for name in ARTIFACT_NAMES:
        save_artifact(
            settings.artifacts_dir, name, {}, data_fingerprint="abc", params={"format": 1}
        )
    assert not is_up_to_date(settings, "abc")
    for name in ARTIFACT_NAMES:
        save_artifact(settings.artifacts_dir, name, {}, data_fingerprint="abc",
                      params={"format": ARTIFACT_FORMAT})  # fmt: skip
    assert is_up_to_date(settings, "abc")
    assert not is_up_to_date(settings, "changed data")
