"""Fixtures of the browser tests: the console as a real subprocess, and Debian's chromium.

Every browser test starts its console with :func:`running_console`, which uses the same
supervisor as ``make demo`` and the integration tests (``concierge.stack.Stack``): the
console runs in its own process group and is stopped by its PID when the test module
ends, whether its tests passed or failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from concierge.settings import Settings
from concierge.stack import Stack
from store.db import STORE_DIR
from tests.factories import add_customer, migrated_store, sqlite_url
from tests.support.servers import free_port, isolated_settings
from tests.support.shop import Shop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE_NAME = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Console:
    """A running console subprocess."""

    url: str
    customers: dict[str, int]


@pytest.fixture(scope="module")
def demo_site(
    full_stack: tuple[Stack, Shop], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A demo-mode console and the demo shop page, on the session's Rasa, actions and shop.

    The session's stack runs as a shop's would (no demo mode, so no customer picker);
    this second console shares its Rasa, database and secrets, so a browser can use the
    picker and the demo shop page without a second Rasa server.
    """
    stack, _ = full_stack
    settings = replace(
        stack.settings,
        var_dir=tmp_path_factory.mktemp("demo-site"),
        demo=True,
        console_port=free_port(),
        demo_shop_port=free_port(),
    )
    site = Stack(settings, services=("console", "demo_shop"))
    site.start(timeout=90)
    try:
        yield settings
    finally:
        site.stop()


@contextmanager
def running_console(var_dir: Path) -> Iterator[str]:
    """``python -m console`` on the migrated shop in ``var_dir``; yields its base URL.

    Rasa is expected on a free port nobody serves, so the assistant is unreachable
    unless a test brings its own. The console's log is ``var_dir/logs/console.log``.
    """
    settings = replace(
        isolated_settings(var_dir),
        db_url=sqlite_url(var_dir),
        policy_file=STORE_DIR / "shop_policy.yml",
        demo=True,  # these pages are driven through the demo's customer picker
    )
    stack = Stack(settings, services=("console",))
    stack.start(timeout=60)  # stops what it started before raising, if the console fails
    try:
        yield settings.console_url
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """``python -m console`` on a free port, with Rasa expected on a port nobody serves."""
    var_dir = tmp_path_factory.mktemp("console")
    sessions = migrated_store(var_dir)
    customers = {
        "anna": add_customer(
            sessions, email="anna@example.com", first_name="Anna", last_name="Smith"
        ),
        "ben": add_customer(sessions, email="ben@example.com", first_name="Ben", last_name="Jones"),
        "hostile": add_customer(
            sessions, email="mallory@example.com", first_name=HOSTILE_NAME, last_name="Evil"
        ),
    }
    sessions.kw["bind"].dispose()

    with running_console(var_dir) as url:
        yield Console(url=url, customers=customers)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    dialogs: list[str] = []
    # An alert() from injected markup would show up here and fail the test.
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        yield page
        assert dialogs == [], f"the page opened dialogs: {dialogs}"
    finally:
        context.close()
