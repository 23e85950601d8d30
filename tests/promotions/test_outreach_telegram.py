"""Outreach by Telegram: a real SQLite shop, the stand-in Bot API and a real local SMTP server.

Each customer's channel comes from the campaign's ``channels`` in their preferred order,
among those that reach them with consent (Telegram: a linked account; e-mail: the opt-in).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from promotions.cli import main
from promotions.models import OutreachMessage
from promotions.outreach import OutreachRunner
from promotions.outreach_results import ChannelCounts
from promotions.outreach_telegram import TelegramSender
from promotions.replies import OfferPayload
from promotions.results import campaign_results
from store.db import writing
from store.models import Customer, Identity
from tests.factories import add_customer, sqlite_url
from tests.promotions.conftest import FakeClock
from tests.support.outreach import (
    CONSOLE_SECRET,
    make_runner,
    outbox,
    proactive_campaign,
    save_campaign,
)
from tests.support.servers import free_port, isolated_settings
from tests.support.smtp import SmtpRecorder
from tests.support.telegram_api import (
    TELEGRAM_TEST_BOT,
    TELEGRAM_TEST_TOKEN,
    TelegramAPI,
    with_telegram,
)

NOON = datetime(2025, 6, 30, 12, 0)
BOTH = {"channels": ["telegram", "email"], "timezone_default": "Europe/London"}


@pytest.fixture
def api() -> Iterator[TelegramAPI]:
    with TelegramAPI(TELEGRAM_TEST_TOKEN, TELEGRAM_TEST_BOT) as stand_in:
        yield stand_in


def _customer(
    sessions: sessionmaker[Session],
    email: str,
    *,
    telegram_user: int | None = None,
    preferred: str | None = None,
    **fields: object,
) -> int:
    """A customer, linked to Telegram user ``telegram_user`` as account linking records it."""
    customer_id = add_customer(sessions, email=email, **fields)  # type: ignore[arg-type]
    with writing(sessions) as s:
        if preferred is not None:
            s.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(preferred_channel=preferred)
            )
        if telegram_user is not None:
            s.add(
                Identity(
                    channel="telegram",
                    channel_user_id=f"telegram-{telegram_user}",
                    customer_id=customer_id,
                    created_at=NOON,
                )
            )
    return customer_id


def _runner(
    sessions: sessionmaker[Session], smtp: SmtpRecorder, api: TelegramAPI, clock: FakeClock
) -> OutreachRunner:
    return make_runner(
        sessions, smtp.port, clock, telegram=TelegramSender(api.token, api.url, timeout=10)
    )


def _channels(sessions: sessionmaker[Session]) -> dict[int, tuple[str, str]]:
    with sessions() as s:
        rows = s.query(OutreachMessage).all()
        return {r.customer_id: (r.channel, r.status) for r in rows}


async def test_each_customer_is_reached_once_on_their_first_consented_channel(
    sessions: sessionmaker[Session], smtp: SmtpRecorder, api: TelegramAPI
) -> None:
    tom = _customer(
        sessions, "tom@example.com", telegram_user=501, first_name="Tom", marketing_consent=True
    )
    # Linked and opted in to e-mail too, but prefers e-mail: gets an e-mail only.
    eve = _customer(
        sessions,
        "eve@example.com",
        telegram_user=502,
        preferred="email",
        email_opt_in=True,
        marketing_consent=True,
    )
    # Linked, but never said yes to marketing: nothing at all.
    _customer(sessions, "quiet@example.com", telegram_user=503, email_opt_in=True)
    # Consents, neither linked nor opted in to e-mail: no channel reaches them.
    _customer(sessions, "nowhere@example.com", marketing_consent=True)
    save_campaign(sessions, proactive_campaign(outreach=BOTH), per_day=5, per_week=10)
    clock = FakeClock(NOON)
    runner = _runner(sessions, smtp, api, clock)

    report = await runner.run()

    [call] = api.calls_of("sendMessage")
    assert str(call.params["chat_id"]) == "501"
    assert call.params["text"] == "Hi Tom, take 10% off!"
    keyboard = call.params["reply_markup"]["inline_keyboard"]
    assert [[(b["text"], b["callback_data"]) for b in row] for row in keyboard] == [
        [
            ("Yes please", OfferPayload.ACCEPT.value),
            ("No thanks", OfferPayload.DECLINE.value),
            ("Stop sending me offers", OfferPayload.STOP.value),
        ]
    ]
    assert [m["To"] for m in smtp.messages] == ["eve@example.com"]
    assert _channels(sessions) == {tom: ("telegram", "sent"), eve: ("email", "sent")}
    assert report.sent_by_channel == {"telegram": 1, "email": 1}
    assert "sent by channel: e-mail 1, Telegram 1" in report.lines()
    assert report.skipped["no marketing consent"] == 1
    assert sum(v for k, v in report.skipped.items() if k.startswith("not reachable by")) == 1

    clock.advance(hours=2)
    second = await runner.run()
    assert len(api.calls_of("sendMessage")) == 1 and len(smtp.messages) == 1
    assert second.sent == 0 and second.skipped["already queued today"] == 2


async def test_a_blocked_bot_is_recorded_as_bounced_and_never_retried(
    sessions: sessionmaker[Session], smtp: SmtpRecorder, api: TelegramAPI
) -> None:
    gone = _customer(sessions, "gone@example.com", telegram_user=601, marketing_consent=True)
    api.blocked.add(601)
    save_campaign(sessions, proactive_campaign(outreach=BOTH), per_day=5, per_week=10)
    clock = FakeClock(NOON)
    runner = _runner(sessions, smtp, api, clock)

    report = await runner.run()
    clock.advance(hours=1)
    await runner.run()

    assert report.bounced == 1 and report.sent == 0
    [row] = outbox(sessions)
    assert (row.customer_id, row.status, row.attempts) == (gone, "bounced", 1)
    assert row.error == "403 Forbidden: bot was blocked by the user"
    assert len(api.calls_of("sendMessage", 601)) == 1


async def test_too_many_requests_is_retried_a_bounded_number_of_times(
    sessions: sessionmaker[Session], smtp: SmtpRecorder, api: TelegramAPI
) -> None:
    _customer(sessions, "busy@example.com", telegram_user=701, marketing_consent=True)
    api.throttled.add(701)
    save_campaign(sessions, proactive_campaign(outreach=BOTH))
    clock = FakeClock(NOON)
    runner = make_runner(
        sessions, smtp.port, clock, max_attempts=2, telegram=TelegramSender(api.token, api.url)
    )

    first = await runner.run()
    assert first.retry_later == 1 and outbox(sessions)[0].status == "pending"
    for _ in range(3):
        clock.advance(minutes=5)
        await runner.run()

    [row] = outbox(sessions)
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.error is not None and row.error.startswith("429")
    assert len(api.calls_of("sendMessage", 701)) == 2


async def test_without_a_configured_bot_telegram_is_never_chosen(
    sessions: sessionmaker[Session], smtp: SmtpRecorder, api: TelegramAPI
) -> None:
    linked_only = _customer(sessions, "l@example.com", telegram_user=801, marketing_consent=True)
    both = _customer(
        sessions, "b@example.com", telegram_user=802, email_opt_in=True, marketing_consent=True
    )
    save_campaign(sessions, proactive_campaign(outreach=BOTH))

    report = await make_runner(sessions, smtp.port, FakeClock(NOON)).run()  # no telegram=

    assert api.calls == [] and [m["To"] for m in smtp.messages] == ["b@example.com"]
    assert _channels(sessions) == {both: ("email", "sent")}
    assert linked_only not in _channels(sessions) and report.sent == 1


async def test_from_settings_sends_with_the_channels_token_and_api_url(
    sessions: sessionmaker[Session], smtp: SmtpRecorder, api: TelegramAPI, tmp_path: Path
) -> None:
    _customer(sessions, "tg@example.com", telegram_user=901, marketing_consent=True)
    save_campaign(sessions, proactive_campaign(outreach=BOTH))
    settings = replace(
        with_telegram(isolated_settings(tmp_path / "var"), api),
        console_secret=CONSOLE_SECRET,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
    )

    report = await OutreachRunner.from_settings(settings, sessions, clock=FakeClock(NOON)).run()

    assert report.sent_by_channel == {"telegram": 1}
    assert [str(c.params["chat_id"]) for c in api.calls_of("sendMessage")] == ["901"]


async def test_results_count_outreach_messages_by_channel(
    sessions: sessionmaker[Session],
    smtp: SmtpRecorder,
    api: TelegramAPI,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _customer(sessions, "t1@example.com", telegram_user=1001, marketing_consent=True)
    _customer(sessions, "t2@example.com", telegram_user=1002, marketing_consent=True)
    _customer(sessions, "mail@example.com", email_opt_in=True, marketing_consent=True)
    _customer(sessions, "gone@example.com", email_opt_in=True, marketing_consent=True)
    api.blocked.add(1002)
    smtp.refuse.add("gone@example.com")
    save_campaign(sessions, proactive_campaign(outreach=BOTH))
    chat_only = proactive_campaign("chat_only", triggers=["returning_session_start"], outreach=None)
    save_campaign(sessions, chat_only)
    await _runner(sessions, smtp, api, FakeClock(NOON)).run()

    report = campaign_results(sessions, now=NOON)

    by_key = {c.key: c for c in report.campaigns}
    assert by_key["winback"].outreach == (
        ChannelCounts("email", sent=1, bounced=1),
        ChannelCounts("telegram", sent=1, bounced=1),
    )
    assert by_key["winback"].exposed == 4  # the experiment's figures are still there
    assert by_key["chat_only"].outreach == ()
    assert main(["--db", sqlite_url(tmp_path), "results"]) == 0
    printed = capsys.readouterr().out
    assert (
        "outreach messages: e-mail 1 sent, 1 bounced, 0 failed; "
        "Telegram 1 sent, 1 bounced, 0 failed"
    ) in printed
    assert printed.count("outreach messages:") == 1


async def test_telegram_unreachable_leaves_its_messages_and_still_sends_e_mail(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    tg = _customer(sessions, "tg@example.com", telegram_user=1101, marketing_consent=True)
    mail = _customer(sessions, "m@example.com", email_opt_in=True, marketing_consent=True)
    save_campaign(sessions, proactive_campaign(outreach=BOTH))
    down = TelegramSender(TELEGRAM_TEST_TOKEN, f"http://127.0.0.1:{free_port()}", timeout=5)

    report = await make_runner(sessions, smtp.port, FakeClock(NOON), telegram=down).run()

    assert report.telegram_unreachable and not report.relay_unreachable
    assert "Telegram could not be reached: its messages wait for the next run" in report.lines()
    assert _channels(sessions) == {tg: ("telegram", "pending"), mail: ("email", "sent")}
