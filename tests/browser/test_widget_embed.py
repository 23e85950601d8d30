"""The chat widget embedded in a shop's page on another origin, in Debian's chromium.

The demo shop page (its own port) plays the shop: its server signs Anna in and its page
embeds the widget with one script tag from the console (another port). Anna chats in
the widget and sees her order; a visitor without a token chats as a guest and gets
nothing of hers.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from concierge.settings import Settings
from store.db import make_engine, make_session_factory
from store.repository import ShopRepository

pytestmark = [pytest.mark.browser, pytest.mark.integration]

BOT_TEXT = "[data-role=bot] [data-testid=bubble-text]"
REPLY_TIMEOUT_MS = 60_000


def widget(page: Page) -> FrameLocator:
    return page.frame_locator("iframe#concierge-chat")


def send(frame: FrameLocator, text: str) -> None:
    frame.get_by_test_id("message-input").fill(text)
    frame.get_by_test_id("send-button").click()


def anna_order(full_stack) -> tuple[str, str]:
    stack, shop = full_stack
    repo = ShopRepository(make_session_factory(make_engine(stack.settings.db_url)))
    order = repo.find_order_for(shop.anna_shipped.number, customer_id=shop.anna_id, email=None)
    assert order is not None
    return order.number, order.shipments[0].tracking_number


def test_signed_in_shop_customer_chats_in_the_widget_and_sees_her_order(
    page: Page, full_stack, demo_site: Settings
) -> None:
    number, tracking = anna_order(full_stack)

    page.goto(demo_site.demo_shop_url + "/")
    frame = widget(page)

    assert page.url.startswith(demo_site.demo_shop_url)
    expect(page.locator("iframe#concierge-chat")).to_have_attribute(
        "src", demo_site.console_url + "/widget"
    )
    expect(frame.get_by_test_id("chat-identity")).to_have_text("Signed in as Anna")
    expect(frame.locator("#chat")).to_have_attribute("data-connected", "true")
    send(frame, f"where is my order {number}?")
    expect(frame.locator(BOT_TEXT).filter(has_text=tracking)).to_have_count(
        1, timeout=REPLY_TIMEOUT_MS
    )
    page.screenshot(path=str(demo_site.var_dir / "widget-signed-in.png"))


def test_visitor_without_a_token_is_a_guest_and_gets_nothing_of_annas(
    page: Page, full_stack, demo_site: Settings
) -> None:
    number, tracking = anna_order(full_stack)

    page.goto(demo_site.demo_shop_url + "/?visitor=1")
    frame = widget(page)

    expect(frame.get_by_test_id("chat-identity")).to_have_text("Chatting as guest")
    expect(frame.locator("#chat")).to_have_attribute("data-connected", "true")
    send(frame, f"where is my order {number}?")
    expect(frame.locator(BOT_TEXT).filter(has_text="e-mail").first).to_be_visible(
        timeout=REPLY_TIMEOUT_MS
    )
    expect(frame.locator(BOT_TEXT).filter(has_text=tracking)).to_have_count(0)
