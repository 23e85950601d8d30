"""The marketer's flow in a real Chromium against ``python -m console``.

Sign in, break a campaign's rule and see the error, fix it, preview the campaign for a
customer, and open its results charts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from promotions.repository import PromotionRepository
from store.db import make_engine, make_session_factory
from tests.browser.conftest import running_console
from tests.console.campaign_helpers import save_campaign, seed_experiment
from tests.console.staff_helpers import PASSWORD, add_account
from tests.factories import add_customer, migrated_store, sqlite_url

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class MarketingConsole:
    url: str
    anna: int
    var_dir: Path


@pytest.fixture(scope="module")
def marketing_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarketingConsole]:
    var_dir = tmp_path_factory.mktemp("marketing-console")
    sessions = migrated_store(var_dir)
    save_campaign(sessions)
    seed_experiment(sessions, shown=20, control=20)
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)
    add_account(sessions, "mia@shop.example", "marketer", name="Mia")
    sessions.kw["bind"].dispose()

    with running_console(var_dir) as url:
        yield MarketingConsole(url, anna, var_dir)


def sign_in_as_mia(page: Page, url: str) -> None:
    """Mia, the marketer, signs in to the console at ``url``."""
    page.goto(url + "/staff")
    page.get_by_test_id("sign-in-email").fill("mia@shop.example")
    page.get_by_test_id("sign-in-password").fill(PASSWORD)
    page.get_by_test_id("sign-in-submit").click()


def test_marketer_fixes_a_broken_rule_previews_and_opens_the_results_chart(
    page: Page, marketing_console: MarketingConsole
) -> None:
    console = marketing_console
    sign_in_as_mia(page, console.url)
    page.get_by_test_id("nav-campaigns").click()
    expect(page.get_by_test_id("campaign-row")).to_have_count(1)
    expect(page.get_by_test_id("campaign-exposed")).to_have_text("20")

    page.get_by_test_id("campaign-name").click()
    rule = page.get_by_test_id("field-eligibility")
    rule.fill("consent == true and country = 'United Kingdom'")
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("error-eligibility")).to_contain_text("did you mean '=='?")
    expect(page.get_by_test_id("campaign-errors")).to_contain_text("Nothing was saved")
    expect(rule).to_have_value("consent == true and country = 'United Kingdom'")

    rule.fill("consent == true and country == 'United Kingdom'")
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("campaign-saved")).to_be_visible()
    expect(page.get_by_test_id("campaign-errors")).to_have_count(0)
    sessions = make_session_factory(make_engine(sqlite_url(console.var_dir)))
    try:
        saved = PromotionRepository(sessions).campaign("spring")
    finally:
        sessions.kw["bind"].dispose()
    assert saved.eligibility == "consent == true and country == 'United Kingdom'"

    page.get_by_test_id("open-preview").click()
    page.get_by_test_id("preview-customer").fill(str(console.anna))
    page.get_by_test_id("preview-submit").click()
    expect(page.get_by_test_id("preview-variant")).to_have_count(2)
    expect(page.locator("[data-variant='a'] [data-testid='preview-text']")).to_have_text(
        "Hi Anna, take 10% off!"
    )
    expect(page.locator("[data-variant='b'] [data-testid='preview-text']")).to_have_text(
        "Welcome back, Anna!"
    )
    expect(page.get_by_test_id("preview-reason")).not_to_be_empty()

    page.goto(console.url + "/marketing/campaigns/spring")
    page.get_by_test_id("open-results").click()
    chart = page.get_by_test_id("timeline-chart")
    expect(chart).to_be_visible()
    bars = chart.locator("[data-testid='timeline-bar']")
    assert bars.count() >= 3
    values = [int(bars.nth(i).get_attribute("data-value") or 0) for i in range(bars.count())]
    assert sum(values) == 20
    heights = [float(bars.nth(i).get_attribute("height") or 0) for i in range(bars.count())]
    assert max(heights) > 0
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    intervals = page.get_by_test_id("conversion-chart").locator("[data-testid='conversion-row']")
    expect(intervals).to_have_count(3)
    expect(page.get_by_test_id("results-table")).to_contain_text("control")


def test_marketer_targets_the_campaign_by_uplift_and_preview_says_who_it_leaves_out(
    page: Page, marketing_console: MarketingConsole
) -> None:
    console = marketing_console
    sign_in_as_mia(page, console.url)
    page.goto(console.url + "/marketing/campaigns/spring")

    page.get_by_test_id("field-targeting").select_option("top_share")
    page.get_by_test_id("field-targeting-value").fill("1.5")
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("error-targeting_value")).to_contain_text("between 0.01 and 1")

    page.get_by_test_id("field-targeting-value").fill("0.3")
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("campaign-saved")).to_be_visible()
    expect(page.get_by_test_id("field-targeting")).to_have_value("top_share")
    expect(page.get_by_test_id("field-targeting-value")).to_have_value("0.3")

    page.get_by_test_id("open-preview").click()
    page.get_by_test_id("preview-customer").fill(str(console.anna))
    page.get_by_test_id("preview-submit").click()
    # Anna has no uplift score in this store (no training ran), so targeting leaves her out.
    expect(page.get_by_test_id("preview-reason").first).to_contain_text("has no predicted uplift")
