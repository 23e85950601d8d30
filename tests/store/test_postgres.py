"""The shop database on PostgreSQL: migrations, demo data, imports and repositories.

The scaled topology keeps the store in PostgreSQL (``CONCIERGE_DB_URL=postgresql+psycopg://``)
and Rasa's operators write ``postgresql://`` URLs that mean psycopg2, which the main
environment does not have. Each test runs on a real server (a throwaway cluster, a fresh
database per test) and compares with SQLite where both must agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from store.bulk_insert import row_counts
from store.db import (
    alembic_config,
    main_env_url,
    make_engine,
    make_session_factory,
    model_metadata,
    upgrade,
)
from store.importer import import_online_retail
from store.models import Base
from store.policy import load_policy
from store.repository import ShopRepository
from tests.factories import add_customer, sqlite_url
from tests.store.conftest import POLICY_FILE
from tests.store.postgres_helpers import ROOT, as_rasa_url, cluster, fresh_database
from tests.store.test_migrations import migrated_schema_drift

pytestmark = pytest.mark.engines
__all__ = ["cluster"]  # the module-scoped fixture the tests below use

NOW = "2024-04-10T12:00"


@pytest.mark.parametrize(
    ("given", "opened"),
    [
        ("postgresql://rasa:pw@db:5432/rasa", "postgresql+psycopg://rasa:pw@db:5432/rasa"),
        ("postgresql+psycopg2://rasa@db/rasa", "postgresql+psycopg://rasa@db/rasa"),
        ("postgres://u:p%40ss@db/x?sslmode=require", "postgresql+psycopg://u:p%40ss@db/x?sslmode=require"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
        ("sqlite:///var/tracker.db", "sqlite:///var/tracker.db"),
    ],
)  # fmt: skip
def test_main_env_url_opens_every_postgres_spelling_with_psycopg_3(given: str, opened: str) -> None:
    assert main_env_url(given) == opened


def test_a_rasa_style_url_connects_through_psycopg_3(cluster: str) -> None:
    engine = make_engine(as_rasa_url(cluster).replace("postgresql://", "postgresql+psycopg2://"))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 40 + 2")).scalar() == 42
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


def schema(engine: Engine) -> dict[str, Any]:
    """Tables with their columns (name, nullable), indexes, unique constraints and foreign keys."""
    found = inspect(engine)
    tables: dict[str, Any] = {}
    for name in found.get_table_names():
        tables[name] = {
            "columns": sorted((c["name"], c["nullable"]) for c in found.get_columns(name)),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                for ix in found.get_indexes(name)
                # PostgreSQL also lists the index behind each unique constraint; those are
                # compared as unique constraints below.
                if not ix.get("duplicates_constraint")
            ),
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(name)),
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in found.get_foreign_keys(name)
            ),
        }
    return tables


def test_upgrade_head_builds_the_same_tables_columns_and_indexes_as_on_sqlite(
    cluster: str, tmp_path: Path
) -> None:
    on_pg, on_sqlite = fresh_database(cluster), sqlite_url(tmp_path)
    upgrade(on_pg)
    upgrade(on_sqlite)
    engines = make_engine(on_pg), make_engine(on_sqlite)
    try:
        pg, lite = (schema(e) for e in engines)
    finally:
        for engine in engines:
            engine.dispose()
    assert set(Base.metadata.tables) <= set(pg)
    assert sorted(pg) == sorted(lite)
    for table in lite:
        assert pg[table] == lite[table], table


def test_migrated_postgres_schema_has_no_drift_from_the_models(cluster: str) -> None:
    assert migrated_schema_drift(fresh_database(cluster)) == []


def test_downgrade_to_base_drops_every_table_and_upgrade_builds_them_again(cluster: str) -> None:
    url = fresh_database(cluster)
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(url)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_services_starting_together_migrate_a_fresh_database_one_after_another(
    cluster: str,
) -> None:
    # The scaled stack starts every action server and console at once; each migrates the
    # store on start. Without a lock all but one failed creating tables the first had made.
    url = fresh_database(cluster)
    migrate = f"from store.db import upgrade; upgrade({url!r})"
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", migrate], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outcomes = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in starting]
    assert [code for code, _ in outcomes] == [0] * 4, outcomes
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, model_metadata()) == []
    finally:
        engine.dispose()


def run_store(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m store ARGS`` as an operator runs it, with its own var folder."""
    env = {**os.environ, "CONCIERGE_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "store", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def generate(var_dir: Path, url: str) -> dict[str, Any]:
    """A small seeded demo shop in ``url``; the fixtures file it wrote."""
    var_dir.mkdir(parents=True, exist_ok=True)
    done = run_store(var_dir, "--db-url", url, "generate", "--customers", "40",
                     "--products", "30", "--days", "40", "--now", NOW)  # fmt: skip
    assert done.returncode == 0, done.stderr
    fixtures: dict[str, Any] = json.loads((var_dir / "demo_fixtures.json").read_text())
    return fixtures


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return row_counts(s)
    finally:
        engine.dispose()


def test_demo_generator_writes_the_same_shop_to_postgres_as_to_sqlite(
    cluster: str, tmp_path: Path
) -> None:
    # The operator's URL without a driver: the store command must open it with psycopg 3.
    on_pg = as_rasa_url(fresh_database(cluster))
    on_sqlite = sqlite_url(tmp_path / "lite")
    pg_fixtures = generate(tmp_path / "pg", on_pg)
    lite_fixtures = generate(tmp_path / "lite", on_sqlite)
    assert pg_fixtures == lite_fixtures
    pg_counts = counts(on_pg)
    assert pg_counts["customers"] == 40 and pg_counts["orders"] > 0
    assert pg_counts == counts(on_sqlite)
    stats = run_store(tmp_path / "pg", "--db-url", on_pg, "stats")
    assert stats.returncode == 0, stats.stderr
    assert "customers" in stats.stdout and "40" in stats.stdout


def test_repositories_read_and_write_a_generated_shop_on_postgres(
    cluster: str, tmp_path: Path
) -> None:
    url = fresh_database(cluster)
    fixtures = generate(tmp_path, url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    repo = ShopRepository(
        sessions, clock=lambda: datetime.fromisoformat(NOW), policy=load_policy(POLICY_FILE)
    )
    try:
        anna = fixtures["customers"]["anna"]
        recent = repo.recent_orders(anna["id"])
        assert recent, "Anna's orders are readable"
        assert {o.number for o in recent} <= {str(n) for n in fixtures["orders"].values()}
        number = fixtures["orders"]["anna_delivered"]
        order = repo.find_order_for(number, customer_id=anna["id"], email=None)
        assert order is not None and order.status == "delivered"
        # The generator chose ids itself; PostgreSQL's sequences must have moved past them,
        # or these inserts would collide with generated rows' ids.
        returned = repo.create_return(
            number, order.lines[0].id, "too small", customer_id=anna["id"], email=None
        )
        assert returned.number not in fixtures["returns"].values()
        newcomer = add_customer(sessions, email="new.customer@example.com")
        assert newcomer > max(c["id"] or 0 for c in fixtures["customers"].values())
        assert repo.get_customer(newcomer) is not None
    finally:
        engine.dispose()


HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
RETAIL_LINES = [
    "600001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-01-03 09:00:00,2.55,12346,United Kingdom",
    "600001,POST,POSTAGE,1,2011-01-03 09:00:00,18.00,12346,United Kingdom",
    "600002,22423,REGENCY CAKESTAND 3 TIER,1,2011-01-04 10:00:00,12.75,,United Kingdom",
    "C600004,22423,REGENCY CAKESTAND 3 TIER,-1,2011-01-06 12:00:00,12.75,12347,Iceland",
    "600006,21777,damaged,-30,2011-01-07 08:00:00,0.00,,United Kingdom",
    "600011,21780,FLOWER POT,lots,2011-01-07 08:00:00,1.25,12348,United Kingdom",
    "600012,85123A,WHITE HEART T-LIGHT,1,2011-01-08 08:00:00,2.95,12348,United Kingdom",
]  # fmt: skip


def test_online_retail_import_gives_the_same_rows_on_postgres_as_on_sqlite(
    cluster: str, tmp_path: Path
) -> None:
    csv = tmp_path / "retail.csv"
    csv.write_text(HEADER + "\n".join(RETAIL_LINES) + "\n", encoding="utf-8")
    results = []
    for url in (fresh_database(cluster), sqlite_url(tmp_path)):
        upgrade(url)
        engine = make_engine(url)
        try:
            report = import_online_retail(csv, make_session_factory(engine))
            results.append((report.imported_lines, dict(report.skipped), counts(url)))
        finally:
            engine.dispose()
    assert results[0] == results[1]
    assert results[0][0] > 0
