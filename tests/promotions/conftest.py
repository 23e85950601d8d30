"""Fixtures of the promotions tests: a migrated SQLite file, a settable clock, campaign builders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import Campaign, campaign_from_dict
from tests.factories import migrated_store
from tests.support.smtp import SmtpRecorder, smtp_server

NOW = datetime(2025, 6, 30, 12, 0)


class FakeClock:
    """A clock the test sets and moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def campaign_dict(key: str = "spring", **overrides: Any) -> dict[str, Any]:
    """A valid campaign mapping with one couponed variant; ``overrides`` replace fields."""
    data: dict[str, Any] = {
        "key": key,
        "name": f"Campaign {key}",
        "status": "active",
        "priority": 10,
        "triggers": ["returning_session_start", "after_order_resolved"],
        "eligibility": "true",
        "control_share": 0.0,
        "caps": {"max_per_customer": 3, "cooldown_days": 14, "coupon_budget": None},
        "variants": [
            {
                "key": "a",
                "weight": 1,
                "template": "Hi {{ first_name | default('there') }}, take {{ discount }} off!",
                "coupon": {"kind": "percent", "value": 10, "min_basket": 20, "validity_days": 7},
            }
        ],
    }
    data.update(overrides)
    return data


def make_campaign(key: str = "spring", **overrides: Any) -> Campaign:
    """A validated campaign built from ``campaign_dict``."""
    return campaign_from_dict(campaign_dict(key, **overrides))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    factory = migrated_store(tmp_path)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    """A real local SMTP server (aiosmtpd) on a free loopback port, recording what arrives."""
    with smtp_server() as recorder:
        yield recorder
