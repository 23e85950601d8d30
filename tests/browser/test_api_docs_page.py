"""The API's docs page, opened in a real Chromium against ``python -m api``.

The API runs on a fresh shop without trained models (the page needs none): it starts, and
its docs page lists every operation of the OpenAPI document the same process serves.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import replace

import pytest
from playwright.sync_api import Page, expect

from concierge.stack import Stack
from tests.factories import migrated_store, sqlite_url
from tests.support.servers import free_port, isolated_settings

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/api-docs-page.png"


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("api-docs")
    migrated_store(var_dir).kw["bind"].dispose()
    settings = replace(isolated_settings(var_dir), db_url=sqlite_url(var_dir), api_port=free_port())
    stack = Stack(settings, services=("api",))
    stack.start(timeout=90)  # stops what it started before raising, if the API fails
    try:
        yield settings.api_url
    finally:
        stack.stop()


def test_the_docs_page_lists_every_endpoint_with_its_scope(page: Page, api_url: str) -> None:
    with urllib.request.urlopen(api_url + "/v1/openapi.json", timeout=30) as response:
        document = json.load(response)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(api_url + "/v1/docs")

    expect(page).to_have_title(f"Concierge API {document['info']['version']}")
    entries = page.locator("nav li")
    expected = [(m, p) for p, item in document["paths"].items() for m in item]
    expect(entries).to_have_count(len(expected))
    for method, path in expected:
        operation = document["paths"][path][method]
        section = page.locator(f"section#{operation['operationId']}")
        expect(section.locator("h2")).to_have_text(f"{method}{path}")
        for scope in (s for req in operation["security"] for v in req.values() for s in v):
            expect(section.locator(".scope")).to_contain_text(scope)
    link_codes = page.locator("section#issueLinkCode")
    expect(link_codes).to_contain_text("identities:write")
    expect(link_codes.locator("table").last).to_contain_text("deep_link")
    # The table of contents jumps to the operation.
    page.locator("nav a[href='#issueLinkCode']").click()
    expect(page).to_have_url(api_url + "/v1/docs#issueLinkCode")
    page.screenshot(path=SCREENSHOT, full_page=True)
    # Nothing but the page itself: no script, font or stylesheet from anywhere.
    assert requests == [api_url + "/v1/docs"]
