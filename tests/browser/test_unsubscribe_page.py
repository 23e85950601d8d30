"""The unsubscribe link of an outreach e-mail, opened in a real Chromium against ``python -m console``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from concierge.stack import Stack
from promotions.outreach_links import UnsubscribeSigner
from store.db import STORE_DIR
from store.models import Customer
from tests.factories import add_customer, migrated_store, sqlite_url
from tests.support.outreach import CONSOLE_SECRET
from tests.support.servers import isolated_settings

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/console-unsubscribe.png"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int]]:
    """The console (signing secret shared with the outreach run) and one opted-in customer."""
    var_dir = tmp_path_factory.mktemp("unsubscribe")
    sessions = migrated_store(var_dir)
    anna = add_customer(
        sessions, email="anna@example.com", marketing_consent=True, email_opt_in=True
    )
    sessions.kw["bind"].dispose()
    settings = replace(
        isolated_settings(var_dir),
        db_url=sqlite_url(var_dir),
        policy_file=STORE_DIR / "shop_policy.yml",
        console_secret=CONSOLE_SECRET,
    )
    stack = Stack(settings, services=("console",))
    stack.start(timeout=60)
    try:
        yield settings.console_url, var_dir, anna
    finally:
        stack.stop()


def _email_opt_in(var_dir: Path, customer_id: int) -> bool:
    sessions = migrated_store(var_dir)
    try:
        with sessions() as s:
            customer = s.get(Customer, customer_id)
            assert customer is not None
            return customer.email_opt_in
    finally:
        sessions.kw["bind"].dispose()


def test_opening_the_link_asks_and_the_button_unsubscribes(
    page: Page, site: tuple[str, Path, int]
) -> None:
    url, var_dir, anna = site
    link = UnsubscribeSigner(CONSOLE_SECRET).url(url, anna, "winback")

    page.goto(link)
    expect(page.get_by_role("heading", name="Stop offers by e-mail?")).to_be_visible()
    page.screenshot(path=SCREENSHOT)  # for a person to look at; nothing asserted on it
    assert _email_opt_in(var_dir, anna) is True  # opening the page changes nothing

    page.get_by_test_id("unsubscribe-button").click()
    expect(page.get_by_test_id("unsubscribe-done")).to_be_visible()
    expect(page.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    assert _email_opt_in(var_dir, anna) is False
