"""The live banner in a real browser: a page learns of new conversations without a reload.

The console runs as a subprocess without a broker, so its feed reads the store; the page's
script (console/static/js/live.js) is the same with a broker, where the long poll answers
sooner (tests/console/live/test_broker_consumer.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from store.session_history import SessionHistory
from tests.browser.conftest import CHROMIUM, running_console
from tests.console.staff_helpers import PASSWORD, add_account
from tests.factories import migrated_store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no chromium at {CHROMIUM}"),
]


@dataclass
class LiveConsole:
    url: str
    sessions: sessionmaker[Session]


@pytest.fixture(scope="module")
def live_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    var_dir = tmp_path_factory.mktemp("live-console")
    sessions = migrated_store(var_dir)
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    try:
        with running_console(var_dir) as url:
            yield LiveConsole(url, sessions)
    finally:
        sessions.kw["bind"].dispose()


def signed_in_page(browser: Browser, console: LiveConsole, path: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(console.url + path)
    page.get_by_test_id("sign-in-email").fill("sam@shop.example")
    page.get_by_test_id("sign-in-password").fill(PASSWORD)
    page.get_by_test_id("sign-in-submit").click()
    expect(page).to_have_url(console.url + path)
    return page


def test_conversation_list_announces_a_new_conversation_and_a_waiting_customer(
    browser: Browser, live_console: LiveConsole
) -> None:
    page = signed_in_page(browser, live_console, "/staff/conversations")
    banner = page.get_by_test_id("live-feed")
    expect(banner).to_be_hidden()
    page.evaluate("window.notReloaded = true")

    history = SessionHistory(live_console.sessions)
    history.start_session("web-live-1", None, "web")
    history.request_handoff("web-live-1", None, "a person please")

    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_have_text(
        "A customer is waiting for a person. 1 new conversation. Reload to see them."
    )
    assert page.evaluate("window.notReloaded") is True
    page.context.close()


def test_handoff_queue_announces_only_customers_waiting_for_a_person(
    browser: Browser, live_console: LiveConsole
) -> None:
    page = signed_in_page(browser, live_console, "/staff/handoffs")
    banner = page.get_by_test_id("live-feed")
    history = SessionHistory(live_console.sessions)
    history.start_session("web-live-2", None, "web")
    history.start_session("web-live-3", None, "web")
    history.request_handoff("web-live-2", None, "a person please")
    history.request_handoff("web-live-3", None, "a person please")

    expect(banner).to_have_text(
        "2 customers are waiting for a person. Reload to see them.", timeout=15_000
    )
    page.context.close()
