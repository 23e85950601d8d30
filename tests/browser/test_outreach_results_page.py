"""The marketer reads a proactive campaign's outreach by channel, in a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from store.db import utcnow
from tests.browser.conftest import running_console
from tests.console.staff_helpers import PASSWORD, add_account
from tests.factories import migrated_store
from tests.promotions.outreach_scene import KEY, seed_outreach

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("outreach-results")
    sessions = migrated_store(var_dir)
    seed_outreach(sessions, utcnow())
    add_account(sessions, "mia@shop.example", "marketer", name="Mia")
    sessions.kw["bind"].dispose()
    with running_console(var_dir) as url:
        yield url


def test_marketer_opens_outreach_by_channel_from_the_results_page(
    page: Page, console_url: str
) -> None:
    page.goto(console_url + "/staff")
    page.get_by_test_id("sign-in-email").fill("mia@shop.example")
    page.get_by_test_id("sign-in-password").fill(PASSWORD)
    page.get_by_test_id("sign-in-submit").click()
    page.goto(f"{console_url}/marketing/campaigns/{KEY}/results")

    page.get_by_test_id("open-outreach-results").click()

    expect(page).to_have_url(f"{console_url}/marketing/campaigns/{KEY}/outreach")
    sections = page.get_by_test_id("outreach-channel")
    expect(sections).to_have_count(2)
    email = page.locator('[data-testid="outreach-channel"][data-channel="email"]')
    web = page.locator('[data-testid="outreach-channel"][data-channel="web"]')
    expect(email.get_by_role("heading")).to_have_text("e-mail")
    expect(email.get_by_test_id("outreach-sent")).to_have_text("6")
    expect(email.get_by_test_id("outreach-opened")).to_have_text("3")
    expect(email.get_by_test_id("outreach-clicked")).to_have_text("1")
    expect(email.get_by_test_id("outreach-redeemed")).to_have_text("2")
    expect(email.get_by_test_id("outreach-converted")).to_have_text("3")
    expect(email.get_by_test_id("outreach-delivered")).to_have_count(0)
    expect(web.get_by_test_id("outreach-delivered")).to_have_text("2")
    expect(web.get_by_test_id("outreach-opened")).to_have_count(0)
    control = email.locator('[data-testid="outreach-arm-row"][data-arm="control"]')
    expect(control.locator('[data-cell="customers"]')).to_have_text("4")
    expect(control.locator('[data-cell="converted"]')).to_have_text("1")
    offer = email.locator('[data-testid="outreach-arm-row"][data-arm="offer"]')
    expect(offer.locator('[data-cell="lift"]')).not_to_have_text("-")
    page.get_by_test_id("back-to-results").click()
    expect(page.get_by_test_id("results-table")).to_be_visible()
