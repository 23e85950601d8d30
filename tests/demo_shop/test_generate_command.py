"""The generator refuses to overwrite shop data unless told to, and its command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from demo_shop.generator import DEFAULT_NOW, GenerationRefused, generate
from tests.demo_shop.shop_queries import dump, order_row, rows
from tests.factories import migrated_store, sqlite_url

ROOT = Path(__file__).resolve().parents[2]
NOW = DEFAULT_NOW


def test_generating_into_a_database_with_data_is_refused_unless_replacing(tmp_path):
    sessions = migrated_store(tmp_path)
    generate(sessions, seed=3, customers=50, days=60, now=NOW)
    before = dump(sessions)
    with pytest.raises(GenerationRefused, match="already holds shop data"):
        generate(sessions, seed=4, customers=50, days=60, now=NOW)
    assert dump(sessions) == before

    # Another package's tables: one refers to customers, one stands alone.
    with sessions() as session, session.begin():
        session.execute(
            text(
                "CREATE TABLE loyalty_cards (id INTEGER PRIMARY KEY, "
                "customer_id INTEGER NOT NULL REFERENCES customers(id))"
            )
        )
        session.execute(text("INSERT INTO loyalty_cards VALUES (1, 1)"))
        session.execute(text("CREATE TABLE shop_notes (id INTEGER PRIMARY KEY, body TEXT)"))
        session.execute(text("INSERT INTO shop_notes VALUES (1, 'kept')"))

    generate(sessions, seed=4, customers=50, days=60, now=NOW, replace=True)
    fresh = migrated_store(tmp_path, "fresh.db")
    generate(fresh, seed=4, customers=50, days=60, now=NOW)
    assert dump(sessions) == dump(fresh) != before
    assert rows(sessions, "SELECT COUNT(*) AS n FROM loyalty_cards")[0].n == 0
    assert [r.body for r in rows(sessions, "SELECT body FROM shop_notes")] == ["kept"]


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CONCIERGE_VAR_DIR": str(tmp_path / "var"),
        "CONCIERGE_DB_URL": sqlite_url(tmp_path, "cli.db"),
    }
    return subprocess.run(
        [sys.executable, "-m", "store", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_generate_writes_fixture_file_and_needs_force_to_overwrite(tmp_path):
    done = _cli(
        tmp_path, "generate", "--customers", "80", "--days", "90", "--now", "2025-06-30T12:00"
    )
    assert done.returncode == 0, done.stderr
    assert "Anna Smith <anna.smith@example.com>" in done.stdout
    document = json.loads((tmp_path / "demo_fixtures.json").read_text())
    assert document["now"] == "2025-06-30T12:00:00"
    sessions = migrated_store(tmp_path, "cli.db")  # already at head: a no-op upgrade
    for name, number in document["orders"].items():
        order = order_row(sessions, number)
        assert order.email in {
            "anna.smith@example.com",
            "ben.carter@example.org",
            "clara.evans@example.com",
            "sam.taylor@example.net",
        }, name

    again = _cli(tmp_path, "generate", "--customers", "80", "--days", "90")
    assert again.returncode == 1 and "already holds shop data" in again.stderr
    kept = _cli(tmp_path, "generate", "--customers", "60", "--if-missing")
    assert kept.returncode == 0 and "keeping it" in kept.stdout
    forced = _cli(tmp_path, "generate", "--customers", "60", "--days", "90", "--force")
    assert forced.returncode == 0, forced.stderr
    stats = _cli(tmp_path, "stats")
    assert re.search(r"customers\s+60\b", stats.stdout), stats.stdout
