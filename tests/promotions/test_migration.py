"""Revision 0002_promotions builds exactly the tables of promotions/models.py, and reverts."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import promotions.models  # noqa: F401  (registers the promo tables on Base.metadata)
from store.db import alembic_config, make_engine, upgrade
from store.models import Base
from tests.factories import sqlite_url

PROMO_TABLES = {
    "promo_campaigns",
    "promo_variants",
    "promo_settings",
    "promo_exposures",
    "promo_coupons",
}


def test_upgrade_creates_the_promo_tables_without_drift(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= PROMO_TABLES
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
    finally:
        engine.dispose()
    assert diff == []


def test_downgrade_to_the_initial_schema_drops_only_the_promo_tables(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    upgrade(url)
    command.downgrade(alembic_config(url), "0001")
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert not PROMO_TABLES & tables
    assert {"customers", "orders"} <= tables
