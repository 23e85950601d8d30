"""Building blocks of the outreach tests: a proactive campaign, a runner, and what was recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import GlobalSettings
from promotions.models import OutreachMessage, PromoExposure
from promotions.outreach import OutreachRunner
from promotions.outreach_email import SmtpMailer
from promotions.outreach_links import UnsubscribeSigner
from promotions.repository import PromotionRepository
from store.db import writing
from store.models import Customer
from tests.factories import add_customer

CONSOLE_SECRET = "outreach-tests-console-secret-0123456789"
SENDER = "Demo shop <offers@shop.example>"


def proactive_campaign(key: str = "winback", **overrides: Any) -> dict[str, Any]:
    """A live campaign sent by outreach only, with one couponed variant and no control group."""
    data: dict[str, Any] = {
        "key": key,
        "name": f"Campaign {key}",
        "status": "active",
        "priority": 10,
        "triggers": ["outreach"],
        "eligibility": "true",
        "control_share": 0.0,
        "caps": {"max_per_customer": 3, "cooldown_days": 14},
        "outreach": {"channels": ["email"], "timezone_default": "Europe/London"},
        "variants": [
            {
                "key": "a",
                "template": "Hi {{ first_name | default('there') }}, take {{ discount }} off!",
                "coupon": {"kind": "percent", "value": 10, "min_basket": 20, "validity_days": 7},
            }
        ],
    }
    data.update(overrides)
    return data


def save_campaign(
    sessions: sessionmaker[Session],
    data: dict[str, Any],
    *,
    holdout_share: float = 0.0,
    per_day: int = 1,
    per_week: int = 3,
) -> None:
    """Store the campaign and the global settings (no hold-out unless asked)."""
    repo = PromotionRepository(sessions)
    repo.save_campaign_data(data)
    repo.save_settings(
        GlobalSettings(
            holdout_share=holdout_share, max_offers_per_day=per_day, max_offers_per_week=per_week
        )
    )


def make_runner(
    sessions: sessionmaker[Session],
    smtp_port: int,
    clock: Callable[[], datetime],
    public_url: str = "http://127.0.0.1:8080",
    **kwargs: Any,
) -> OutreachRunner:
    """A runner sending through the test's SMTP server."""
    return OutreachRunner(
        sessions,
        SmtpMailer("127.0.0.1", smtp_port, timeout=10),
        UnsubscribeSigner(CONSOLE_SECRET),
        public_url=public_url,
        sender=SENDER,
        clock=clock,
        **kwargs,
    )


@dataclass(frozen=True)
class Row:
    """One outbox row, as a test reads it."""

    customer_id: int
    status: str
    attempts: int
    error: str | None
    arm: str


def outbox(sessions: sessionmaker[Session]) -> list[Row]:
    """Every outbox row with its exposure's arm, in insertion order."""
    query = (
        select(OutreachMessage, PromoExposure.arm)
        .join(PromoExposure, OutreachMessage.exposure_id == PromoExposure.id)
        .order_by(OutreachMessage.id)
    )
    with sessions() as s:
        return [
            Row(m.customer_id, m.status, m.attempts, m.error, arm) for m, arm in s.execute(query)
        ]


def exposures(sessions: sessionmaker[Session]) -> list[tuple[int, str, str]]:
    """(customer, arm, trigger) of every recorded exposure."""
    query = select(PromoExposure.customer_id, PromoExposure.arm, PromoExposure.trigger)
    with sessions() as s:
        return [tuple(r) for r in s.execute(query.order_by(PromoExposure.id))]  # type: ignore[misc]


def customer_in_zone(sessions: sessionmaker[Session], email: str, zone: str | None) -> int:
    """A customer who takes marketing e-mail, living in time zone ``zone`` (None: unset)."""
    customer_id = add_customer(sessions, email=email, marketing_consent=True, email_opt_in=True)
    with writing(sessions) as s:
        s.execute(update(Customer).where(Customer.id == customer_id).values(timezone=zone))
    return customer_id
