"""The marketing side of the web chat in Debian's chromium, against the whole stack.

Clara (consenting, no order for three months, chatted once before) picks herself on the
front page, says hello, is offered the sample ``welcome-back`` campaign with its buttons,
accepts, and reads a coupon code that the store has issued to her.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from demo_shop.fixtures import CLARA_EMAIL, DEMO_HINTS
from promotions.coupons import ALPHABET
from promotions.models import PromoCampaign, PromoCoupon, PromoExposure
from store.db import make_engine, make_session_factory

pytestmark = [pytest.mark.browser, pytest.mark.integration]

BOT_TEXT = "[data-role=bot] [data-testid=bubble-text]"
CODE = re.compile(rf"\b[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}\b")
REPLY_TIMEOUT_MS = 60_000


def send(page: Page, text: str) -> None:
    page.get_by_test_id("message-input").fill(text)
    page.get_by_test_id("send-button").click()


def test_clara_accepts_the_welcome_back_offer_and_sees_her_coupon_code(
    page: Page, full_stack, demo_site
):
    stack, shop = full_stack
    page.goto(demo_site.console_url + "/")  # the picker: demo mode only
    clara_row = page.locator(f"[data-testid=customer][data-customer-id='{shop.clara_id}']")
    expect(clara_row.get_by_test_id("customer-hint")).to_have_text(DEMO_HINTS[CLARA_EMAIL])
    clara_row.get_by_test_id("start-chat").click()
    expect(page.locator("#chat")).to_have_attribute("data-connected", "true")

    send(page, "hi")
    offer = page.locator(BOT_TEXT).filter(has_text="Clara").filter(has_text="off your next order")
    expect(offer).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    buttons = page.get_by_test_id("quick-replies").last.get_by_test_id("quick-reply")
    expect(buttons).to_have_count(3)
    payloads = [buttons.nth(i).get_attribute("data-payload") for i in range(3)]
    assert payloads == ["/accept_offer", "/decline_offer", "/stop_offers"]
    expect(buttons.nth(2)).to_have_text("Stop sending me offers")

    buttons.nth(0).click()
    coupon_reply = page.locator(BOT_TEXT).filter(has_text=CODE)
    expect(coupon_reply).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    page.screenshot(path=str(stack.settings.var_dir / "offer-in-chat.png"))
    code = CODE.search(coupon_reply.inner_text())
    assert code is not None

    sessions = make_session_factory(make_engine(stack.settings.db_url))
    with sessions() as s:
        coupon = s.scalar(select(PromoCoupon).where(PromoCoupon.code == code.group(0)))
        assert coupon is not None and coupon.customer_id == shop.clara_id
        exposure = s.get(PromoExposure, coupon.exposure_id)
        assert exposure is not None and exposure.response == "accepted"
        campaign = s.get(PromoCampaign, coupon.campaign_id)
        assert campaign is not None and campaign.key == "welcome-back"
