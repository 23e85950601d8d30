"""A small generated shop, really trained, for tests that need served models."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from concierge.settings import Settings
from demo_shop.generator import generate
from recsys.embeddings import TextEmbedder
from recsys.store_data import load_store_data
from recsys.training import train_all
from store.db import make_engine, make_session_factory, upgrade


def generate_and_train(
    settings: Settings, *, seed: int, customers: int, products: int, days: int
) -> sessionmaker[Session]:
    """Migrate ``settings.db_url``, generate a shop into it and train every model (one thread,
    no tuning) into ``settings.artifacts_dir``; the store's session factory."""
    upgrade(settings.db_url)
    sessions = make_session_factory(make_engine(settings.db_url))
    generate(sessions, seed=seed, customers=customers, products=products, days=days)
    with threadpool_limits(1):
        train_all(settings, load_store_data(sessions), embedder=TextEmbedder(num_threads=1),
                  progress=False, tune=False)  # fmt: skip
    return sessions
