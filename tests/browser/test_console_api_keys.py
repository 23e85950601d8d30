"""The API keys admin page in a real Chromium against ``python -m console``: create, list, revoke."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from store.api_keys import ApiKeys
from tests.browser.conftest import running_console
from tests.console.staff_helpers import PASSWORD, add_account
from tests.factories import migrated_store

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class AdminConsole:
    url: str
    sessions: sessionmaker[Session]


@pytest.fixture(scope="module")
def admin_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminConsole]:
    var_dir = tmp_path_factory.mktemp("api-keys-console")
    sessions = migrated_store(var_dir)
    add_account(sessions, "boss@shop.example", "admin", name="Boss")
    try:
        with running_console(var_dir) as url:
            yield AdminConsole(url, sessions)
    finally:
        sessions.kw["bind"].dispose()


def sign_in_as_admin(page: Page, console: AdminConsole) -> None:
    page.goto(console.url + "/staff")
    page.get_by_test_id("sign-in-email").fill("boss@shop.example")
    page.get_by_test_id("sign-in-password").fill(PASSWORD)
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("staff-identity")).to_contain_text("Boss")


def test_admin_creates_a_key_sees_it_listed_and_revokes_it(
    page: Page, admin_console: AdminConsole
) -> None:
    keys = ApiKeys(admin_console.sessions)
    sign_in_as_admin(page, admin_console)
    page.get_by_test_id("nav-api-keys").click()
    expect(page).to_have_url(admin_console.url + "/admin/api-keys")

    page.get_by_test_id("api-key-name").fill("newsletter tool")
    page.get_by_test_id("api-key-scope-scores:read").check()
    page.get_by_test_id("api-key-create").click()

    expect(page.get_by_test_id("api-key-created")).to_contain_text("newsletter tool")
    expect(page.get_by_role("alert")).to_contain_text("Copy it now, it is not shown again.")
    token = page.get_by_test_id("api-key-token").input_value()
    key = keys.authenticate(token)
    assert key is not None and key.scopes == ("scores:read",)

    page.get_by_test_id("api-keys-back").click()
    row = page.locator(f"[data-testid='api-key-row'][data-key-id='{key.key_id}']")
    expect(row).to_contain_text("newsletter tool")
    expect(row.get_by_test_id("api-key-state")).to_have_text("no")
    # The secret is what follows the key id; it may itself hold "_" (URL-safe base64), so
    # splitting at the last "_" could leave a letter or two that any page contains.
    secret = token.split(f"{key.key_id}_", 1)[1]
    assert len(secret) >= 20
    assert secret not in page.content()

    row.get_by_test_id("api-key-revoke").click()
    expect(page.get_by_test_id("api-key-revoke-confirm")).to_contain_text(key.key_id)
    page.get_by_test_id("api-key-revoke-button").click()

    expect(page.get_by_test_id("api-key-revoked")).to_have_text(
        f"Revoked {key.key_id} (newsletter tool)."
    )
    expect(row.get_by_test_id("api-key-state")).not_to_have_text("no")
    expect(row.get_by_test_id("api-key-revoke")).to_have_count(0)
    assert keys.authenticate(token) is None
