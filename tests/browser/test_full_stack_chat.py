"""The web chat in Debian's chromium against the whole stack: console, real Rasa, real actions.

A signed-in demo customer asks where an order is and sees the carrier and tracking
number from the store; a guest asking the same is asked for the order's e-mail.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from store.db import make_engine, make_session_factory
from store.repository import ShopRepository

pytestmark = [pytest.mark.browser, pytest.mark.integration]

BOT_TEXT = "[data-role=bot] [data-testid=bubble-text]"


def send(page: Page, text: str) -> None:
    page.get_by_test_id("message-input").fill(text)
    page.get_by_test_id("send-button").click()


def test_signed_in_customer_sees_her_orders_tracking_number(
    page: Page, full_stack, demo_site
) -> None:
    stack, shop = full_stack
    repo = ShopRepository(make_session_factory(make_engine(stack.settings.db_url)))
    order = repo.find_order_for(shop.anna_shipped.number, customer_id=shop.anna_id, email=None)
    tracking = order.shipments[0].tracking_number

    page.goto(demo_site.console_url + "/")  # the picker: demo mode only
    page.locator(
        f"[data-testid=customer][data-customer-id='{shop.anna_id}'] [data-testid=start-chat]"
    ).click()
    expect(page.locator("#chat")).to_have_attribute("data-connected", "true")
    send(page, f"where is my order {order.number}?")

    expect(page.locator(BOT_TEXT).filter(has_text=tracking)).to_have_count(1, timeout=60_000)
    expect(page.locator(BOT_TEXT).filter(has_text="DPD").first).to_be_visible()
    page.screenshot(path=str(stack.settings.var_dir / "signed-in-chat.png"))


def test_guest_is_asked_for_the_orders_email(page: Page, full_stack, demo_site) -> None:
    stack, shop = full_stack
    page.goto(demo_site.console_url + "/")  # the picker: demo mode only
    page.get_by_test_id("guest-start").click()
    expect(page.locator("#chat")).to_have_attribute("data-connected", "true")
    send(page, f"where is my order {shop.guest_order.number}")

    asked = page.locator(BOT_TEXT).filter(has_text="e-mail")
    expect(asked.first).to_be_visible(timeout=60_000)
    send(page, "guest.buyer@example.org")
    expect(page.locator(BOT_TEXT).filter(has_text=shop.guest_order.number).last).to_be_visible(
        timeout=60_000
    )
