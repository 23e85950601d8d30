"""The ``outreach:`` block of a campaign: validation, storage, quiet hours, and the command line."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import CampaignError, campaign_from_dict
from promotions.cli import main
from promotions.outreach_spec import QuietHours
from promotions.repository import PromotionRepository
from tests.factories import add_customer, sqlite_url
from tests.support.outreach import CONSOLE_SECRET, proactive_campaign, save_campaign
from tests.support.smtp import smtp_server


def _problems(**overrides: Any) -> list[str]:
    with pytest.raises(CampaignError) as caught:
        campaign_from_dict(proactive_campaign(**overrides))
    return caught.value.problems


def test_an_outreach_block_round_trips_through_the_store(
    sessions: sessionmaker[Session],
) -> None:
    data = proactive_campaign(
        triggers=["outreach", "returning_session_start"],
        outreach={
            "channels": ["email"],
            "quiet_hours": {"start": "21:00", "end": "08:00"},
            "timezone_default": "Europe/Paris",
            "subject": "For you, {{ first_name | default('friend') }}",
        },
    )
    repo = PromotionRepository(sessions)
    saved = repo.save_campaign_data(data)

    loaded = repo.campaign("winback")
    assert loaded.outreach == saved.outreach
    assert loaded.outreach is not None
    assert loaded.outreach.quiet_hours == QuietHours(time(21), time(8))
    assert loaded.outreach.timezone_default == "Europe/Paris"
    assert campaign_to_dict(loaded)["outreach"]["quiet_hours"] == {"start": "21:00", "end": "08:00"}


def test_each_mistake_in_the_block_is_named_where_it_is() -> None:
    problems = _problems(
        outreach={
            "channels": ["email", "web", "pigeon"],
            "quiet_hours": {"start": "25:00", "end": "08:00"},
            "timezone_default": "Mars/Olympus",
            "subject": "Hi {{ frist_name }}",
            "schedule": "hourly",
            "cadence": "hourly",
        }
    )
    text = "\n".join(problems)
    assert "outreach.channels[1]" not in text  # the web chat is a channel now
    assert "outreach.channels[2]: unknown channel 'pigeon'" in text
    assert "outreach.quiet_hours.start: must be a time like \"21:00\", got '25:00'" in text
    assert "outreach.timezone_default: unknown time zone 'Mars/Olympus'" in text
    assert "outreach.subject: outreach subject uses unknown slot 'frist_name'" in text
    assert "did you mean 'first_name'" in text
    assert 'outreach.schedule: must be {days: [mon, wed, fri], after: "10:00"}' in text
    assert "outreach.cadence: unknown field" in text


def test_the_outreach_trigger_and_the_block_go_together() -> None:
    without_block = _problems(outreach=None)
    assert any(p.startswith("outreach: the 'outreach' trigger needs") for p in without_block)
    without_trigger = _problems(triggers=["returning_session_start"])
    assert any(p.startswith("triggers: add 'outreach'") for p in without_trigger)
    chat_only = proactive_campaign(triggers=["returning_session_start"])
    del chat_only["outreach"]
    assert campaign_from_dict(chat_only).outreach is None


@pytest.mark.parametrize(
    ("start", "end", "inside", "outside"),
    [
        ("21:00", "08:00", ["21:00", "23:59", "00:00", "07:59"], ["08:00", "12:00", "20:59"]),
        ("13:00", "14:00", ["13:00", "13:30"], ["12:59", "14:00"]),
    ],
)
def test_quiet_hours_include_the_start_and_exclude_the_end(
    start: str, end: str, inside: list[str], outside: list[str]
) -> None:
    quiet = QuietHours(time.fromisoformat(start), time.fromisoformat(end))
    assert all(quiet.contains(time.fromisoformat(t)) for t in inside)
    assert not any(quiet.contains(time.fromisoformat(t)) for t in outside)


def test_quiet_hours_follow_the_campaign_time_zone() -> None:
    spec = campaign_from_dict(
        proactive_campaign(
            outreach={
                "quiet_hours": {"start": "21:00", "end": "08:00"},
                "timezone_default": "America/New_York",
            }
        )
    ).outreach
    assert spec is not None
    assert spec.is_quiet(datetime(2025, 6, 30, 11, 0))  # 07:00 in New York
    assert not spec.is_quiet(datetime(2025, 6, 30, 13, 0))  # 09:00 in New York


def test_command_line_dry_run_then_run(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_customer(sessions, email="anna@example.com", marketing_consent=True, email_opt_in=True)
    save_campaign(sessions, proactive_campaign())
    with smtp_server() as smtp:
        monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path))
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("CONSOLE_SECRET", CONSOLE_SECRET)
        monkeypatch.setenv("CONCIERGE_PUBLIC_URL", "https://chat.shop.example")
        monkeypatch.setenv("OUTREACH_FROM", "Shop <offers@shop.example>")
        db = sqlite_url(tmp_path)

        assert main(["--db", db, "outreach", "run", "--dry-run"]) == 0
        dry = capsys.readouterr().out
        assert "would queue: 1 offer(s)" in dry and smtp.messages == []

        assert main(["--db", db, "outreach", "run"]) == 0
        out = capsys.readouterr().out
        assert "proactive campaigns live: winback" in out and "sent: 1;" in out
        [message] = smtp.messages
        assert message["From"] == "Shop <offers@shop.example>"
        assert message["List-Unsubscribe"].startswith("<https://chat.shop.example/unsubscribe/")


def test_command_line_without_the_signing_secret_stops_with_its_name(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("CONSOLE_SECRET", raising=False)
    monkeypatch.delenv("CONCIERGE_DEMO", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["--db", sqlite_url(tmp_path), "outreach", "run"])
    assert stopped.value.code == 2
    assert "CONSOLE_SECRET is not set" in capsys.readouterr().err
