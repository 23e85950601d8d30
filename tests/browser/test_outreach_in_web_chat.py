"""An outreach offer waiting in the web chat, in Debian's chromium against the whole stack.

A customer who chatted signed in before is reached by a web-only proactive campaign (the
real run). When she opens the chat again the offer is there before she types anything;
she presses its first button and the real Rasa and action server issue her the coupon of
that very outreach exposure, as for an offer made in the chat.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from promotions.coupons import ALPHABET
from promotions.models import OutreachMessage, PromoCoupon, PromoExposure
from promotions.repository import PromotionRepository
from store.db import make_engine, make_session_factory, utcnow, writing
from store.models import Identity
from tests.factories import add_customer
from tests.promotions.conftest import FakeClock
from tests.support.outreach import make_runner, proactive_campaign
from tests.support.servers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

BOT_TEXT = "[data-role=bot] [data-testid=bubble-text]"
CODE = re.compile(rf"\b[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}\b")
REPLY_TIMEOUT_MS = 60_000
EMAIL = "ingrid.outreach@example.com"
# Only this customer lives here, so the campaign reaches nobody else in the shared stack.
COUNTRY = "Iceland"


def test_a_waiting_offer_shows_first_and_its_button_issues_the_coupon(
    page: Page, full_stack: Any, demo_site: Any
) -> None:
    stack, _ = full_stack
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    ingrid = add_customer(
        sessions, email=EMAIL, first_name="Ingrid", country=COUNTRY, marketing_consent=True
    )
    with writing(sessions) as s:  # she chatted signed in before
        s.add(
            Identity(
                channel="web",
                channel_user_id=f"web-earlier-{ingrid}",
                customer_id=ingrid,
                created_at=utcnow() - timedelta(days=2),
            )
        )
    repo = PromotionRepository(sessions)
    repo.save_campaign_data(
        proactive_campaign(
            "iceland-web",
            eligibility=f'country == "{COUNTRY}"',
            outreach={"channels": ["web"]},
        )
    )
    try:
        runner = make_runner(sessions, free_port(), FakeClock(utcnow()))
        # Playwright's sync API keeps an event loop in this thread: the run gets its own.
        with ThreadPoolExecutor(1) as pool:
            report = pool.submit(asyncio.run, runner.run()).result()
        assert report.sent_by_channel == {"web": 1}

        page.goto(demo_site.console_url + f"/?q={EMAIL}")
        page.locator(
            f"[data-testid=customer][data-customer-id='{ingrid}'] [data-testid=start-chat]"
        ).click()
        waiting = page.locator(BOT_TEXT).filter(has_text="Hi Ingrid, take 10% off!")
        expect(waiting).to_have_count(1)
        buttons = page.get_by_test_id("quick-replies").last.get_by_test_id("quick-reply")
        expect(buttons.first).to_have_attribute("data-payload", "/accept_offer")

        buttons.first.click()
        coupon_reply = page.locator(BOT_TEXT).filter(has_text=CODE)
        expect(coupon_reply).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
        code = CODE.search(coupon_reply.inner_text())
        assert code is not None
        with sessions() as s:
            coupon = s.scalar(select(PromoCoupon).where(PromoCoupon.code == code.group(0)))
            assert coupon is not None and coupon.customer_id == ingrid
            exposure = s.get(PromoExposure, coupon.exposure_id)
            assert exposure is not None and exposure.trigger == "outreach"
            message = s.scalar(
                select(OutreachMessage).where(OutreachMessage.exposure_id == exposure.id)
            )
            assert message is not None and message.delivered_at is not None
    finally:
        repo.set_status("iceland-web", "paused")
        sessions.kw["bind"].dispose()
