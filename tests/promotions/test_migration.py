"""The promotions revisions build exactly the tables of promotions/models.py, and revert."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

import promotions.models  # noqa: F401  (registers the promo tables on Base.metadata)
from promotions.campaigns import GlobalSettings
from promotions.decision import OfferContext
from promotions.models import PromoCampaign
from promotions.repository import PromotionRepository
from promotions.service import PromotionService
from promotions.triggers import Trigger
from store.db import alembic_config, make_engine, make_session_factory, upgrade
from store.models import Base
from tests.factories import add_customer, sqlite_url
from tests.promotions.conftest import make_campaign

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


def test_offer_acceptance_revision_counts_the_coupons_already_issued(tmp_path: Path) -> None:
    # Coupons issued before 0007 count against their campaign's budget once it is applied.
    url = sqlite_url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    now = datetime(2025, 6, 30, 12, 0)
    try:
        repo = PromotionRepository(sessions, lambda: now)
        repo.save_settings(GlobalSettings(holdout_share=0.0))
        repo.save_campaign(make_campaign("spring"))
        service = PromotionService(sessions, clock=lambda: now)
        for _ in range(3):
            customer = add_customer(sessions, marketing_consent=True)
            service.offer_for(customer, OfferContext(Trigger.RETURNING_SESSION_START))
            assert service.accept(customer).coupon is not None
        engine.dispose()
        command.downgrade(alembic_config(url), "0006_staff_sessions")
        upgrade(url)
        with sessions() as s:
            assert s.scalar(select(PromoCampaign.coupons_issued)) == 3
    finally:
        engine.dispose()
