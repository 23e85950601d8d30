"""The stack's outreach scheduler runs the real command on a schedule and stops with the stack."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from concierge.outreach_scheduler import OutreachScheduler
from concierge.settings import Settings, SettingsError
from concierge.stack import Stack
from promotions.models import OutreachMessage
from store.db import utcnow, writing
from store.models import Identity
from tests.factories import add_customer, sqlite_url
from tests.support.outreach import CONSOLE_SECRET, proactive_campaign, save_campaign
from tests.support.servers import isolated_settings

WAIT_SECONDS = 120.0  # a deadline for the child's first run, not a measurement


def _web_rows(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as s:
        return [(m.channel, m.status) for m in s.scalars(select(OutreachMessage))]


def test_the_stack_runs_outreach_on_schedule_and_stops_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)
    with writing(sessions) as s:
        s.add(
            Identity(
                channel="web",
                channel_user_id="web-earlier-visit",
                customer_id=anna,
                created_at=utcnow() - timedelta(days=1),
            )
        )
    save_campaign(sessions, proactive_campaign(outreach={"channels": ["web"]}))
    settings = replace(
        isolated_settings(tmp_path / "var"),
        db_url=sqlite_url(tmp_path),
        console_secret=CONSOLE_SECRET,
        outreach_every_seconds=1,
    )
    stack = Stack(settings, services=())
    assert stack.outreach is not None

    stack.start()
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        # Until the row is sent, not merely queued: a run stopped between queueing and
        # sending leaves it pending for the next run, which this test does not wait for.
        while _web_rows(sessions) != [("web", "sent")] and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stack.stop()

    assert _web_rows(sessions) == [("web", "sent")]
    assert not stack.outreach.is_running()
    assert stack.outreach.runs >= 1
    log = (settings.var_dir / "logs" / "outreach.log").read_text()
    assert "proactive campaigns live: winback" in log


def test_without_the_setting_the_stack_schedules_nothing(tmp_path: Path) -> None:
    settings = replace(isolated_settings(tmp_path / "var"), outreach_every_seconds=0)

    assert Stack(settings, services=()).outreach is None


def test_an_interval_of_zero_is_refused_by_the_scheduler(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="above 0 seconds"):
        OutreachScheduler(0, {}, tmp_path / "outreach.log")


def test_demo_mode_schedules_every_minute_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("OUTREACH_EVERY_SECONDS", raising=False)
    monkeypatch.setenv("CONCIERGE_DEMO", "1")
    assert Settings.from_env().outreach_every_seconds == 60
    monkeypatch.setenv("OUTREACH_EVERY_SECONDS", "0")
    assert Settings.from_env().outreach_every_seconds == 0
    monkeypatch.setenv("CONCIERGE_DEMO", "0")
    monkeypatch.delenv("OUTREACH_EVERY_SECONDS")
    assert Settings.from_env().outreach_every_seconds == 0
    monkeypatch.setenv("OUTREACH_EVERY_SECONDS", "every minute")
    with pytest.raises(SettingsError, match="OUTREACH_EVERY_SECONDS must be a whole number"):
        Settings.from_env()
