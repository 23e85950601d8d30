"""The staff console in a real Chromium against ``python -m console``: sign-in, review, handoff."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from console.staff.reviews import ReviewDesk
from tests.browser.conftest import running_console
from tests.console.conversation_helpers import TrackerFile, add_handoff, add_session
from tests.console.staff_helpers import PASSWORD, add_account
from tests.factories import add_customer, migrated_store

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"


@dataclass(frozen=True)
class StaffConsole:
    url: str
    sessions: sessionmaker[Session]
    customer: int
    sessions_by_name: dict[str, int]


@pytest.fixture(scope="module")
def staff_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffConsole]:
    var_dir = tmp_path_factory.mktemp("staff-console")
    sessions = migrated_store(var_dir)
    tracker = TrackerFile(var_dir / "tracker.db")
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna", last_name="Smith")
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    add_account(sessions, "boss@shop.example", "admin", name="Boss")
    add_account(sessions, "mia@shop.example", "marketer", name="Mia")
    t = datetime.now().replace(microsecond=0) - timedelta(days=1)
    by_name = {
        "lamp": add_session(sessions, "web-lamp", t, customer_id=anna, intents=("product_search",)),
        "refund": add_session(sessions, "web-refund", t + timedelta(hours=1), intents=("return",)),
    }
    tracker.session_start("web-lamp", t)
    tracker.user(
        "web-lamp",
        t + timedelta(seconds=3),
        f"do you sell a brass lamp? {HOSTILE}",
        "product_search",
        0.42,
    )
    tracker.bot("web-lamp", t + timedelta(seconds=4), "Here are three brass lamps.")
    tracker.session_start("web-refund", t + timedelta(hours=1))
    tracker.user(
        "web-refund", t + timedelta(hours=1, seconds=3), "I want my money back", "return", 0.93
    )

    try:
        with running_console(var_dir) as url:
            yield StaffConsole(url, sessions, anna, by_name)
    finally:
        sessions.kw["bind"].dispose()


def sign_in(page: Page, console: StaffConsole, email: str, password: str = PASSWORD) -> None:
    page.goto(console.url + "/staff")
    expect(page).to_have_url(console.url + "/staff/sign-in?next=%2Fstaff")
    page.get_by_test_id("sign-in-email").fill(email)
    page.get_by_test_id("sign-in-password").fill(password)
    page.get_by_test_id("sign-in-submit").click()


def test_wrong_password_shows_the_error_and_the_right_one_signs_in(
    page: Page, staff_console: StaffConsole
) -> None:
    sign_in(page, staff_console, "sam@shop.example", "not the password")
    expect(page.get_by_test_id("sign-in-error")).to_have_text(
        "That e-mail and password do not match an active account."
    )

    page.get_by_test_id("sign-in-password").fill(PASSWORD)
    page.get_by_test_id("sign-in-submit").click()

    expect(page).to_have_url(staff_console.url + "/staff")
    expect(page.get_by_test_id("staff-identity")).to_contain_text("Sam")
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(staff_console.url + "/staff/sign-in")


def test_agent_filters_opens_a_transcript_and_tags_it(
    page: Page, staff_console: StaffConsole
) -> None:
    sign_in(page, staff_console, "sam@shop.example")
    page.get_by_test_id("tile-conversations").click()
    expect(page.get_by_test_id("conversation-row")).to_have_count(2)

    page.get_by_test_id("filter-q").fill("brass")
    page.get_by_test_id("filter-low_confidence").check()
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("conversation-row")).to_have_count(1)
    page.get_by_test_id("open-conversation").click()

    turns = page.get_by_test_id("turn-text")
    expect(turns.first).to_have_text(f"do you sell a brass lamp? {HOSTILE}")
    expect(page.get_by_test_id("turn-intent").first).to_have_text("product_search")
    # An agent reads the customer redacted, like their exports; admins read it whole.
    expect(page.get_by_test_id("customer-profile")).to_contain_text("[email]")
    expect(page.get_by_test_id("customer-profile")).not_to_contain_text("anna@example.com")
    assert page.locator("[data-testid='transcript'] img").count() == 0

    page.get_by_test_id("review-state").select_option("needs_fix")
    page.get_by_test_id("review-tags").fill("catalogue gap, nlu")
    page.get_by_test_id("review-save").click()
    expect(page.get_by_test_id("review-tag-list")).to_have_text("catalogue gapnlu")
    page.get_by_test_id("note-input").fill("<b>ask the buyer</b>")
    page.get_by_test_id("note-add").click()
    expect(page.get_by_test_id("note-text")).to_have_text("<b>ask the buyer</b>")

    review = ReviewDesk(staff_console.sessions).review_of(staff_console.sessions_by_name["lamp"])
    assert review.state == "needs_fix" and review.tags == ("catalogue gap", "nlu")
    page.goto(staff_console.url + "/staff/conversations?tag=nlu")
    expect(page.get_by_test_id("conversation-row")).to_have_count(1)


def test_marketer_is_refused_transcripts_and_admin_pages(
    page: Page, staff_console: StaffConsole
) -> None:
    sign_in(page, staff_console, "mia@shop.example")
    expect(page.get_by_test_id("tile-conversations")).to_have_count(0)

    page.goto(staff_console.url + f"/staff/conversations/{staff_console.sessions_by_name['lamp']}")
    expect(page.get_by_test_id("refused")).to_contain_text("needs the role agent")
    page.goto(staff_console.url + "/admin/accounts")
    expect(page.get_by_test_id("refused")).to_contain_text("needs the role admin")


def test_admin_creates_an_account_and_sees_it_in_the_audit_log(
    page: Page, staff_console: StaffConsole
) -> None:
    sign_in(page, staff_console, "boss@shop.example")
    page.get_by_test_id("tile-accounts").click()

    form = page.get_by_test_id("new-account-form")
    form.get_by_label("E-mail").fill("kim@shop.example")
    form.get_by_label("Name").fill(HOSTILE)
    form.get_by_label("Password").fill("another long password")
    form.get_by_role("button", name="Create account").click()

    expect(page.get_by_test_id("account-created")).to_have_text("Created kim@shop.example.")
    expect(page.get_by_test_id("account-list")).to_contain_text(HOSTILE)
    page.get_by_test_id("nav-audit").click()
    expect(page.get_by_test_id("audit-row").first).to_contain_text("account_created")


def test_agent_takes_a_handoff_and_talks_with_a_live_customer_chat(
    browser: Browser, staff_console: StaffConsole
) -> None:
    customer = browser.new_context().new_page()
    agent = browser.new_context().new_page()
    try:
        customer.goto(staff_console.url + "/")
        customer.locator(
            f"[data-customer-id='{staff_console.customer}'] [data-testid='start-chat']"
        ).click()
        expect(customer.locator("#chat")).to_have_attribute("data-connected", "true")
        cookie = next(c for c in customer.context.cookies() if c["name"] == "concierge_chat")
        sender_id = cookie["value"].split(".")[0]
        session_id = add_session(
            staff_console.sessions, sender_id, datetime.now(), customer_id=staff_console.customer
        )
        add_handoff(
            staff_console.sessions,
            session_id,
            sender_id,
            datetime.now(),
            staff_console.customer,
            reason="parcel lost",
        )

        sign_in(agent, staff_console, "sam@shop.example")
        agent.get_by_test_id("nav-handoffs").click()
        agent.locator("[data-status='waiting'] [data-testid='take-handoff']").click()
        expect(agent.get_by_test_id("live-chat")).to_have_attribute("data-ready", "true")

        agent_bubbles = customer.locator("[data-role='agent'] [data-testid='bubble-text']")
        expect(agent_bubbles.first).to_have_text("Sam from customer service has joined the chat.")

        customer.get_by_test_id("message-input").fill(f"where is my parcel? {HOSTILE}")
        customer.get_by_test_id("message-input").press("Enter")
        live = agent.get_by_test_id("live-message")
        expect(live.last).to_have_text(f"where is my parcel? {HOSTILE}")
        assert agent.locator("[data-testid='live-messages'] img").count() == 0
        expect(customer.get_by_test_id("typing-indicator")).to_be_hidden()
        expect(customer.locator("[data-role='system']")).to_have_count(0)

        agent.get_by_test_id("live-input").fill("It left our depot this morning.")
        agent.get_by_test_id("live-input").press("Enter")
        expect(agent_bubbles.last).to_have_text("It left our depot this morning.")

        agent.get_by_test_id("hand-back").click()
        expect(agent).to_have_url(staff_console.url + "/staff/handoffs")
        expect(agent_bubbles.last).to_contain_text("back with the shop assistant")
    finally:
        customer.context.close()
        agent.context.close()
