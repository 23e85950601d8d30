"""The Alembic migrations build exactly the schema of store/models.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from store.db import STORE_DIR, make_engine, model_metadata, upgrade
from store.models import Base
from tests.factories import sqlite_url

REPO_ROOT = STORE_DIR.parent


def test_upgrade_creates_every_model_table_with_its_indexes(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert "alembic_version" in tables
        for table in Base.metadata.tables.values():
            expected = {ix.name for ix in table.indexes}
            actual = {ix["name"] for ix in inspector.get_indexes(table.name)}
            assert expected <= actual, f"{table.name} lacks {expected - actual}"
    finally:
        engine.dispose()


def migrated_schema_drift(url: str) -> list[object]:
    """Migrate the database at ``url`` to head; what differs from the models (Alembic's diff)."""
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, model_metadata()))
    finally:
        engine.dispose()


def test_migrated_schema_has_no_drift_from_any_model_module(tmp_path: Path) -> None:
    assert migrated_schema_drift(sqlite_url(tmp_path)) == []


def test_upgrade_twice_is_harmless_and_keeps_data(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO products (sku, title, description, category, price, stock,"
                " created_at) VALUES ('A1', 'Lamp', '', 'lighting', 10.0, 1, '2024-01-01')"
            )
        upgrade(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM products").scalar() == 1
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()


def test_upgrade_migrates_the_url_it_is_given_and_no_other(tmp_path: Path) -> None:
    first, second = sqlite_url(tmp_path, "first.db"), sqlite_url(tmp_path, "nested/second.db")
    upgrade(second)
    assert (tmp_path / "nested" / "second.db").exists()
    assert not (tmp_path / "first.db").exists()
    upgrade(first)
    assert (tmp_path / "first.db").exists()


def test_alembic_command_line_upgrades_and_check_finds_nothing_to_do(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    alembic = [sys.executable, "-m", "alembic", "-c", str(STORE_DIR / "alembic.ini")]
    for args in (["-x", f"url={url}", "upgrade", "head"], ["-x", f"url={url}", "check"]):
        done = subprocess.run(
            alembic + args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert "No new upgrade operations detected" in done.stdout + done.stderr
