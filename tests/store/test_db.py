"""SQLite engines are set up for several processes sharing one file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from concierge.settings import Settings
from store.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_session_factory, upgrade
from store.models import OrderLine
from store.policy import ShopPolicy
from store.repository import ShopRepository
from tests.factories import add_customer, migrated_store, sqlite_url
from tests.store.conftest import POLICY_FILE


def test_sqlite_engine_uses_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path, "deep/inside/shop.db"))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert (tmp_path / "deep" / "inside" / "shop.db").exists()
    finally:
        engine.dispose()


def test_in_memory_sqlite_engine_works(tmp_path: Path) -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1 + 1")).scalar() == 2
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    sessions = migrated_store(tmp_path)
    with pytest.raises(IntegrityError), sessions() as s, s.begin():
        s.add(OrderLine(order_id=999, product_id=999, quantity=1, unit_price=1.0))


def test_two_repositories_on_one_file_see_each_others_writes(
    tmp_path: Path, policy: ShopPolicy
) -> None:
    migrated_store(tmp_path).kw["bind"].dispose()
    url = sqlite_url(tmp_path)
    engine_a, engine_b = make_engine(url), make_engine(url)
    try:
        repo_a = ShopRepository(make_session_factory(engine_a), policy=policy)
        repo_b = ShopRepository(make_session_factory(engine_b), policy=policy)
        assert repo_b.current_session("web-1") is None  # b has read before a writes

        started = repo_a.start_session("web-1", None, "web")
        seen = repo_b.current_session("web-1")
        assert seen is not None and seen.id == started.id

        repo_b.record_outcome("web-1", "faq_answered", "warranty")
        assert [o.kind for o in repo_a.current_session("web-1").outcomes] == ["faq_answered"]

        customer_id = add_customer(make_session_factory(engine_a), email="zoe@example.com")
        repo_a.link_identity("web", "web-2", customer_id)
        assert repo_b.customer_for_sender("web-2").email == "zoe@example.com"
    finally:
        engine_a.dispose()
        engine_b.dispose()


def test_repository_from_settings_uses_the_configured_database_and_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_file = tmp_path / "policy.yml"
    policy_file.write_text(
        POLICY_FILE.read_text(encoding="utf-8").replace("window_days: 30", "window_days: 21"),
        encoding="utf-8",
    )
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONCIERGE_POLICY_FILE", str(policy_file))
    settings = Settings.from_env()
    upgrade(settings.db_url)

    repo = ShopRepository.from_settings(settings)
    # Without an explicit policy the repository reads the settings' policy file too.
    default = ShopRepository(make_session_factory(make_engine(settings.db_url)))
    try:
        assert repo.policy.return_window_days == 21
        assert default.policy.return_window_days == 21
        repo.start_session("web-1", None, "web")
        assert (tmp_path / "var" / "concierge.db").exists()
        assert default.current_session("web-1") is not None
    finally:
        repo.close()
        default.close()


def test_database_errors_do_not_repeat_the_values_of_the_statement(tmp_path: Path) -> None:
    """Errors end up in logs; a failed write's parameters are customers' names and e-mails."""
    sessions = migrated_store(tmp_path)
    add_customer(sessions, email="anna.smith@example.com", first_name="Anna")

    with pytest.raises(IntegrityError) as failure:
        add_customer(sessions, email="anna.smith@example.com", first_name="Annabel")

    assert "anna.smith" not in str(failure.value) and "Annabel" not in str(failure.value)
    sessions.kw["bind"].dispose()
