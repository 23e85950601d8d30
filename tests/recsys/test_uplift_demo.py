"""The uplift model on the demo shop recovers the effect the simulator planted.

A small shop is generated and its offer history simulated (``promotions.demo``, whose
customers respond by a hidden type); the model is fitted on the logged exposures only,
then scored against the simulator's ground truth (``promotions.demo_response``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from demo_shop.generator import generate
from promotions.demo import seed_demo
from promotions.demo_response import true_response
from recsys.artifacts import latest_metadata
from recsys.features import customer_features
from recsys.store_data import StoreData, load_store_data
from recsys.training import UPLIFT_ARTIFACT, feature_kwargs, train_uplift
from recsys.uplift_train import exposure_data, fit_uplift, load_exposures
from store.models import Customer
from tests.factories import migrated_store, sqlite_url


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, sessionmaker[Session]]:
    folder = tmp_path_factory.mktemp("uplift-shop")
    sessions = migrated_store(folder)
    generate(sessions, seed=3, customers=2000, products=40, days=365)
    seed_demo(sessions, seed=3)
    return folder, sessions


def truths(sessions: sessionmaker[Session], customers: pd.Index) -> np.ndarray:
    with sessions() as s:
        prefs: dict[int, dict] = dict(s.execute(select(Customer.id, Customer.preferences)).all())
    return np.array([true_response(int(c), prefs[int(c)]).uplift for c in customers])


def test_the_history_follows_the_planted_types_in_every_arm(shop) -> None:
    _, sessions = shop
    data = load_store_data(sessions)
    exposures, window = load_exposures(sessions)
    examples = exposure_data(data.customers, data.orders, exposures, window, {})
    true = truths(sessions, pd.Index(examples.customers))
    treated = examples.treatment == 1
    persuadable, unmoved = true > 0.3, np.abs(true) < 0.05
    # Customers a coupon moves order far more often when shown one ...
    lift = examples.y[persuadable & treated].mean() - examples.y[persuadable & ~treated].mean()
    assert lift > 0.3
    # ... and customers it does not move order about as often either way.
    same = examples.y[unmoved & treated].mean() - examples.y[unmoved & ~treated].mean()
    assert abs(same) < 0.15


def test_the_model_fitted_on_the_history_ranks_by_the_true_effect(shop) -> None:
    _, sessions = shop
    data = load_store_data(sessions)
    kwargs = feature_kwargs(data)
    exposures, window = load_exposures(sessions)
    examples = exposure_data(data.customers, data.orders, exposures, window, kwargs)
    model = fit_uplift(examples)
    end = pd.to_datetime(data.orders["timestamp"]).max() + pd.Timedelta(seconds=1)
    now = customer_features(data.customers, data.orders, end, **kwargs)
    predicted = model.predict_uplift(now.reindex(columns=examples.X.columns, fill_value=0.0))
    true = truths(sessions, now.index)
    order = np.argsort(-predicted)
    k = len(order) * 3 // 10
    top, bottom = true[order[:k]].mean(), true[order[-k:]].mean()
    assert top > true.mean() + 0.02
    assert top > bottom + 0.06


def _settings(folder: Path) -> Settings:
    return Settings(var_dir=folder, db_url=sqlite_url(folder), tracker_db_url=sqlite_url(folder, "t.db"),
                    artifacts_dir=folder / "artifacts", policy_file=folder / "policy.yml")  # fmt: skip


def test_training_tags_uplift_keeps_other_tags_and_skips_unchanged_input(shop) -> None:
    folder, sessions = shop
    with sessions.begin() as s:
        s.execute(update(Customer).where(Customer.id == 10).values(tags={"propensity": 0.42}))
    settings = _settings(folder)
    data: StoreData = load_store_data(sessions)
    assert "trained" in train_uplift(settings, data, "fp")
    meta = latest_metadata(settings.artifacts_dir, UPLIFT_ARTIFACT)
    assert meta is not None and meta.metrics["exposures"] > 0
    with sessions() as s:
        tags = dict(s.execute(select(Customer.id, Customer.tags)).all())
    assert tags[10]["propensity"] == 0.42  # recsys' other tags survive
    ranks = sorted(t["uplift_rank"] for t in tags.values())
    assert ranks[0] > 0 and ranks[-1] == 1.0
    top = max(tags.values(), key=lambda t: t["uplift"])
    assert top["uplift_rank"] == min(ranks)
    assert "up to date" in train_uplift(settings, data, "fp")
    assert "trained" in train_uplift(settings, data, "other data")


def test_a_store_without_exposures_trains_no_uplift_and_says_why(tmp_path: Path) -> None:
    sessions = migrated_store(tmp_path)
    generate(sessions, seed=5, customers=120, products=30, days=120)
    message = train_uplift(_settings(tmp_path), load_store_data(sessions), "fp")
    assert "uplift not trained" in message and "python -m promotions demo" in message
    assert latest_metadata(tmp_path / "artifacts", UPLIFT_ARTIFACT) is None
