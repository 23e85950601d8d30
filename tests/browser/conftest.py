"""Fixtures of the browser tests: the console as a real subprocess, and Debian's chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from store.db import STORE_DIR
from tests.factories import add_customer, migrated_store
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
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
    log: Path


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the console exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise RuntimeError(f"the console did not answer at {url} within 30 s:\n{log.read_text()}")


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

    port = free_port()
    env = {
        **os.environ,
        "CONCIERGE_VAR_DIR": str(var_dir),
        "CONCIERGE_DB_URL": f"sqlite:///{var_dir / 'shop.db'}",
        "CONCIERGE_POLICY_FILE": str(STORE_DIR / "shop_policy.yml"),
        "CONCIERGE_HOST": "127.0.0.1",
        "CONSOLE_PORT": str(port),
        # Nothing listens here: the assistant is unreachable for these tests.
        "RASA_PORT": str(free_port()),
    }
    log = var_dir / "console.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "console"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url + "/", process, log)
        yield Console(url=url, customers=customers, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


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
