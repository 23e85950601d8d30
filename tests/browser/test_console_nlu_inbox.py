"""The NLU inbox in a real Chromium against ``python -m console``: correct, then download YAML."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.browser.conftest import running_console
from tests.console.conversation_helpers import TrackerFile, add_session
from tests.console.staff_helpers import PASSWORD, add_account
from tests.factories import migrated_store

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)> is this thing on"


@dataclass(frozen=True)
class InboxConsole:
    url: str


@pytest.fixture(scope="module")
def inbox_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InboxConsole]:
    var_dir = tmp_path_factory.mktemp("nlu-inbox-console")
    sessions = migrated_store(var_dir)
    tracker = TrackerFile(var_dir / "tracker.db")
    add_account(sessions, "sam@shop.example", "agent", name="Sam")
    t = datetime.now().replace(microsecond=0) - timedelta(hours=2)
    add_session(sessions, "web-odd", t, intents=("nlu_fallback",))
    tracker.user(
        "web-odd", t + timedelta(seconds=3), "my lamp arrived in bits", "nlu_fallback", 0.6
    )
    tracker.user("web-odd", t + timedelta(seconds=9), HOSTILE, "greet", 0.31)
    sessions.kw["bind"].dispose()

    with running_console(var_dir) as url:
        yield InboxConsole(url)


def test_agent_corrects_an_intent_and_downloads_the_nlu_yaml(
    page: Page, inbox_console: InboxConsole
) -> None:
    page.goto(inbox_console.url + "/staff")
    page.get_by_test_id("sign-in-email").fill("sam@shop.example")
    page.get_by_test_id("sign-in-password").fill(PASSWORD)
    page.get_by_test_id("sign-in-submit").click()
    page.get_by_test_id("nav-nlu-inbox").click()

    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_test_id("inbox-text")).to_have_text(HOSTILE)
    lamp = rows.filter(has_text="my lamp arrived in bits")
    lamp.get_by_test_id("inbox-intent").select_option("request_return")
    lamp.get_by_test_id("inbox-save").click()

    expect(page.get_by_test_id("inbox-row")).to_have_count(1)
    page.get_by_test_id("show-all").click()
    expect(page.get_by_test_id("inbox-corrected")).to_have_text("corrected: request_return")

    with page.expect_download() as download_info:
        page.get_by_test_id("download-nlu").click()
    download = download_info.value
    assert download.suggested_filename == "nlu_inbox_corrections.yml"
    text = download.path().read_text(encoding="utf-8")
    assert text.splitlines()[1] == 'version: "3.1"'
    assert yaml.safe_load(text) == {
        "version": "3.1",
        "nlu": [{"intent": "request_return", "examples": "- my lamp arrived in bits\n"}],
    }
