"""The demo shop page: the widget tag carries an identity signed for the signed-in customer."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from console.chat.identity import IdentityVerifier
from demo_shop.fixtures import ANNA_EMAIL, BEN_EMAIL
from demo_shop.generator import generate
from demo_shop.page import create_page_app, give_customers_shop_ids
from store.db import STORE_DIR
from store.models import Customer
from tests.factories import add_customer, migrated_store, sqlite_url
from tests.support.servers import isolated_settings

pytestmark = pytest.mark.asyncio
SECRET = "demo-shop-page-tests-secret-0123456789"


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var_dir = tmp_path_factory.mktemp("shop")
    sessions = migrated_store(var_dir)
    generate(sessions, customers=40, products=40, days=60)
    sessions.kw["bind"].dispose()
    return var_dir


async def page_of(aiohttp_client: Any, var_dir: Path, query: str) -> tuple[str, str]:
    settings = replace(
        isolated_settings(var_dir),
        db_url=sqlite_url(var_dir),
        policy_file=STORE_DIR / "shop_policy.yml",
        demo=True,
        identity_secret=SECRET,
    )
    client = await aiohttp_client(create_page_app(settings))
    response = await client.get("/" + query)
    assert response.status == 200
    return await response.text(), response.headers["Content-Security-Policy"]


def identity_in(page: str) -> str | None:
    found = re.search(r'data-identity="([^"]+)"', page)
    return found.group(1) if found else None


async def test_signed_in_customer_gets_a_token_the_console_verifies_for_her(
    aiohttp_client: Any, shop_dir: Path
) -> None:
    page, policy = await page_of(aiohttp_client, shop_dir, "")
    ben_page, _ = await page_of(aiohttp_client, shop_dir, "?customer=ben")

    vouched = IdentityVerifier(SECRET).verify(identity_in(page))
    ben = IdentityVerifier(SECRET).verify(identity_in(ben_page))
    assert vouched.external_id.startswith("shop-") and ben.external_id != vouched.external_id
    assert "Signed in as Anna" in page and "/widget.js" in page
    assert ANNA_EMAIL not in page and BEN_EMAIL not in ben_page
    assert "frame-src http://127.0.0.1:" in policy


async def test_visitor_gets_the_widget_without_an_identity(
    aiohttp_client: Any, shop_dir: Path
) -> None:
    page, _ = await page_of(aiohttp_client, shop_dir, "?visitor=1")

    assert "/widget.js" in page and identity_in(page) is None
    assert "Not signed in" in page


async def test_demo_customers_generated_without_shop_ids_get_them(tmp_path: Path) -> None:
    sessions = migrated_store(tmp_path)
    old = add_customer(sessions, external_ref=None)
    kept = add_customer(sessions, external_ref="17850")
    settings = replace(isolated_settings(tmp_path), db_url=sqlite_url(tmp_path), demo=True)

    assert give_customers_shop_ids(settings) == 1
    assert give_customers_shop_ids(settings) == 0
    with sessions() as s:
        refs = {i: ref for i, ref in s.execute(select(Customer.id, Customer.external_ref))}
    sessions.kw["bind"].dispose()
    assert refs == {old: f"shop-{old:06d}", kept: "17850"}
