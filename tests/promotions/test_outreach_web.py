"""Outreach by the web chat: a message left waiting, taken once, answered like an in-chat offer.

Real SQLite shop, the real run and decision; a real local SMTP server shows that nothing
is e-mailed to a customer reached in the web chat.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from promotions.models import OutreachMessage
from promotions.outreach_web import WaitingMessage, put_back, take_waiting
from promotions.replies import OfferPayload, ReplyStatus
from promotions.service import OFFER_OPEN_FOR, PromotionService
from store.db import writing
from store.erasure import forget_customer
from store.models import Customer, Identity
from store.tracker_store import TrackerStore
from tests.factories import add_customer
from tests.promotions.conftest import FakeClock
from tests.store.privacy_scene import tracker_url
from tests.support.outreach import make_runner, proactive_campaign, save_campaign
from tests.support.smtp import SmtpRecorder

NOON = datetime(2025, 6, 30, 12, 0)
WEB_FIRST = {"channels": ["web", "email"], "timezone_default": "Europe/London"}


def _customer(
    sessions: sessionmaker[Session],
    email: str,
    *,
    signed_in: bool,
    preferred: str | None = None,
    **fields: object,
) -> int:
    """A consenting customer; ``signed_in``: has opened the web chat signed in before."""
    customer_id = add_customer(sessions, email=email, marketing_consent=True, **fields)  # type: ignore[arg-type]
    with writing(sessions) as s:
        if preferred is not None:
            s.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(preferred_channel=preferred)
            )
        if signed_in:
            s.add(
                Identity(
                    channel="web",
                    channel_user_id=f"web-visit-{customer_id}",
                    customer_id=customer_id,
                    created_at=NOON - timedelta(days=3),
                )
            )
    return customer_id


def _rows(sessions: sessionmaker[Session]) -> dict[int, tuple[str, str, str | None]]:
    with sessions() as s:
        return {
            r.customer_id: (r.channel, r.status, r.body) for r in s.scalars(select(OutreachMessage))
        }


async def _queue_web_offer(sessions: sessionmaker[Session], smtp: SmtpRecorder) -> int:
    anna = _customer(sessions, "anna@example.com", signed_in=True, first_name="Anna")
    save_campaign(sessions, proactive_campaign(outreach=WEB_FIRST))
    report = await make_runner(sessions, smtp.port, FakeClock(NOON)).run()
    assert (report.queued, report.sent) == (1, 1)
    return anna


async def test_a_signed_in_customer_gets_a_waiting_message_and_no_e_mail(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = _customer(sessions, "anna@example.com", signed_in=True, first_name="Anna")
    # Prefers e-mail and is opted in: reached by e-mail although the campaign lists web first.
    bea = _customer(
        sessions, "bea@example.com", signed_in=True, preferred="email", email_opt_in=True
    )
    never = _customer(sessions, "never@example.com", signed_in=False)  # no way to reach
    save_campaign(sessions, proactive_campaign(outreach=WEB_FIRST))

    report = await make_runner(sessions, smtp.port, FakeClock(NOON)).run()

    rows = _rows(sessions)
    assert rows[anna] == ("web", "sent", "Hi Anna, take 10% off!")
    assert rows[bea][:2] == ("email", "sent") and rows[bea][2] is None
    assert never not in rows
    assert [m["To"] for m in smtp.messages] == ["bea@example.com"]
    assert report.sent_by_channel == {"web": 1, "email": 1}
    assert sum(v for k, v in report.skipped.items() if k.startswith("not reachable by")) == 1


async def test_the_waiting_message_is_taken_once_with_its_offer_buttons(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = await _queue_web_offer(sessions, smtp)
    visit = NOON + timedelta(hours=5)

    first = take_waiting(sessions, anna, visit)
    again = take_waiting(sessions, anna, visit + timedelta(minutes=1))

    assert [m.text for m in first] == ["Hi Anna, take 10% off!"]
    payloads = [b["payload"] for b in first[0].buttons]
    assert OfferPayload.ACCEPT in payloads and OfferPayload.DECLINE in payloads
    assert again == []
    with sessions() as s:
        row = s.scalars(select(OutreachMessage)).one()
        assert row.delivered_at == visit


async def test_two_tabs_opening_at_once_show_the_message_in_one_only(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = await _queue_web_offer(sessions, smtp)
    results: list[list[WaitingMessage]] = []
    start = threading.Barrier(4)

    def tab() -> None:
        start.wait()
        results.append(take_waiting(sessions, anna, NOON + timedelta(hours=1)))

    tabs = [threading.Thread(target=tab) for _ in range(4)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join()

    assert sorted(len(r) for r in results) == [0, 0, 0, 1]


async def test_a_message_put_back_waits_for_the_next_visit(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = await _queue_web_offer(sessions, smtp)
    taken = take_waiting(sessions, anna, NOON + timedelta(hours=1))

    put_back(sessions, [m.id for m in taken])

    assert [m.id for m in take_waiting(sessions, anna, NOON + timedelta(hours=2))] == [
        m.id for m in taken
    ]


async def test_a_message_older_than_an_open_offer_is_not_shown(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = await _queue_web_offer(sessions, smtp)

    assert take_waiting(sessions, anna, NOON + OFFER_OPEN_FOR + timedelta(minutes=1)) == []


async def test_yes_to_the_shown_message_issues_its_coupon_like_an_in_chat_offer(
    sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    anna = await _queue_web_offer(sessions, smtp)
    visit = NOON + timedelta(hours=3)
    assert take_waiting(sessions, anna, visit)
    service = PromotionService(sessions, clock=FakeClock(visit), code_factory=lambda: "WEB-1234")

    reply = service.accept(anna)

    assert reply.status == ReplyStatus.ISSUED
    assert reply.coupon is not None and reply.coupon.code == "WEB-1234"
    assert reply.campaign_key == "winback"
    assert service.accept(anna).status == ReplyStatus.ALREADY_ISSUED


async def test_forgetting_the_customer_clears_the_waiting_text(
    sessions: sessionmaker[Session], smtp: SmtpRecorder, tmp_path: Path
) -> None:
    anna = await _queue_web_offer(sessions, smtp)
    tracker = TrackerStore(tracker_url(tmp_path))
    try:
        forget_customer(sessions, tracker, anna, actor="admin@shop.test")
    finally:
        tracker.close()

    with sessions() as s:
        row = s.scalars(select(OutreachMessage)).one()
        assert row.customer_id != anna  # moved to the placeholder, counted still
        assert row.body is None
        assert "Anna" not in repr((row.body, row.error))
