"""The customer web chat page in a real Chromium, against ``python -m console``.

Rasa is deliberately unreachable here; full-stack tests with a real Rasa live in
tests/integration.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import HOSTILE_NAME, Console

pytestmark = pytest.mark.browser

HOSTILE_MESSAGE = "<b>hi</b><script>window.__xss=1</script>"
UNAVAILABLE = "Sorry, the assistant is unavailable right now — please try again in a moment."
SCREENSHOT = "/tmp/console-chat.png"


def open_guest_chat(page: Page, console: Console) -> None:
    page.goto(console.url + "/")
    page.get_by_test_id("guest-start").click()
    expect(page).to_have_url(console.url + "/chat")
    expect(page.locator("#chat")).to_have_attribute("data-connected", "true")


def test_front_page_lists_demo_customers_and_escapes_their_names(
    page: Page, console: Console
) -> None:
    page.goto(console.url + "/")

    names = page.get_by_test_id("customer-name")
    expect(names).to_have_count(3)
    expect(names.nth(0)).to_have_text("Anna Smith")
    expect(names.nth(1)).to_have_text("Ben Jones")
    expect(names.nth(2)).to_have_text(f"{HOSTILE_NAME} Evil")
    assert page.locator("[data-testid='customer-list'] script").count() == 0


def test_customer_search_narrows_the_list(page: Page, console: Console) -> None:
    page.goto(console.url + "/")

    page.get_by_label("Search customers by name or e-mail").fill("ben@")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("customer-name")).to_have_text(["Ben Jones"])


def test_guest_message_with_markup_shows_literally_and_runs_nothing(
    page: Page, console: Console
) -> None:
    open_guest_chat(page, console)
    expect(page.get_by_test_id("chat-identity")).to_contain_text("guest")

    page.get_by_test_id("message-input").fill(HOSTILE_MESSAGE)
    page.get_by_test_id("message-input").press("Enter")

    bubble = page.locator("[data-role='customer'] [data-testid='bubble-text']")
    expect(bubble).to_have_text(HOSTILE_MESSAGE)
    assert bubble.locator("b, script").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    expect(page.get_by_test_id("message-input")).to_have_value("")


def test_unreachable_assistant_shows_the_friendly_notice_and_keeps_the_message(
    page: Page, console: Console
) -> None:
    open_guest_chat(page, console)

    page.get_by_test_id("message-input").fill("Where is my order 10234?")
    page.get_by_test_id("send-button").click()

    notice = page.locator("[data-role='system']")
    expect(notice).to_have_text(UNAVAILABLE)
    expect(page.get_by_test_id("typing-indicator")).to_be_hidden()
    customer = page.locator("[data-role='customer']")
    expect(customer.get_by_test_id("bubble-text")).to_have_text("Where is my order 10234?")
    expect(customer).to_have_class(re.compile(r"message--failed"))

    customer.get_by_test_id("retry").click()
    expect(notice).to_have_count(2)
    expect(notice.nth(1)).to_have_text(UNAVAILABLE)

    page.get_by_test_id("message-input").fill(HOSTILE_MESSAGE)
    page.get_by_test_id("message-input").press("Enter")
    expect(notice).to_have_count(3)
    page.screenshot(path=SCREENSHOT)


def test_input_is_limited_with_a_visible_counter(page: Page, console: Console) -> None:
    open_guest_chat(page, console)
    send = page.get_by_test_id("send-button")
    counter = page.get_by_test_id("char-counter")
    expect(send).to_be_disabled()
    expect(counter).to_have_text("0 / 1000")

    page.get_by_test_id("message-input").fill("x" * 1500)

    expect(counter).to_have_text("1000 / 1000")
    expect(counter).to_have_class(re.compile(r"counter--near"))
    expect(send).to_be_enabled()
    page.get_by_test_id("message-input").fill("   ")
    expect(send).to_be_disabled()


def test_shift_enter_makes_a_new_line_instead_of_sending(page: Page, console: Console) -> None:
    open_guest_chat(page, console)
    box = page.get_by_test_id("message-input")

    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")

    expect(box).to_have_value("first line\nsecond line")
    expect(page.locator("[data-role='customer']")).to_have_count(0)


def test_signed_in_customer_with_hostile_name_sees_it_as_text(page: Page, console: Console) -> None:
    page.goto(console.url + "/")

    page.locator(
        f"[data-customer-id='{console.customers['hostile']}'] [data-testid='start-chat']"
    ).click()

    expect(page).to_have_url(console.url + "/chat")
    expect(page.get_by_test_id("chat-identity")).to_contain_text(f"Signed in as {HOSTILE_NAME}")
    expect(page.locator("#chat-welcome h1")).to_have_text(f"Hi {HOSTILE_NAME}! How can we help?")
    assert page.locator("main script, header script").count() == 0


def test_starter_question_is_sent_as_a_customer_message(page: Page, console: Console) -> None:
    open_guest_chat(page, console)

    page.get_by_test_id("starter").filter(has_text="Shipping costs").click()

    expect(page.locator("[data-role='customer'] [data-testid='bubble-text']")).to_have_text(
        "How much is shipping?"
    )
    expect(page.locator("[data-role='system']")).to_have_text(UNAVAILABLE)
