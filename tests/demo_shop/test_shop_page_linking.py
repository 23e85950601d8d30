"""The demo shop page's "Connect Telegram": a fresh one-time code and the t.me deep link."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from demo_shop.fixtures import ANNA_EMAIL
from demo_shop.page import create_page_app
from store.account_linking import AccountLinking, LinkOutcome
from store.db import STORE_DIR, make_engine, make_session_factory
from store.repository import ShopRepository
from tests.demo_shop.test_shop_page import SECRET, shop_dir  # noqa: F401  (module fixture)
from tests.factories import sqlite_url
from tests.support.servers import isolated_settings

pytestmark = pytest.mark.asyncio
BOT = "home_store_concierge_bot"


async def _page(aiohttp_client: Any, var_dir: Path, query: str, bot_name: str = BOT) -> str:
    settings = replace(
        isolated_settings(var_dir),
        db_url=sqlite_url(var_dir),
        policy_file=STORE_DIR / "shop_policy.yml",
        demo=True,
        identity_secret=SECRET,
        telegram_bot_name=bot_name,
    )
    client = await aiohttp_client(create_page_app(settings))
    response = await client.get("/" + query)
    assert response.status == 200
    return await response.text()


def _code(page: str) -> str:
    found = re.search(r'data-testid="telegram-code">([A-Z0-9]+)<', page)
    assert found, page
    return found.group(1)


async def test_signed_in_customer_gets_a_code_and_deep_link_that_link_her(
    aiohttp_client: Any,
    shop_dir: Path,  # noqa: F811
) -> None:
    page = await _page(aiohttp_client, shop_dir, "?customer=anna")
    code = _code(page)
    assert "Connect Telegram" in page
    assert f'href="https://t.me/{BOT}?start={code}"' in page
    engine = make_engine(sqlite_url(shop_dir))
    try:
        sessions = make_session_factory(engine)
        result = AccountLinking(sessions).redeem(code, "telegram", "telegram-90001")
        assert result.outcome is LinkOutcome.LINKED
        linked = ShopRepository(sessions).customer_for_sender("telegram-90001", "telegram")
        assert linked is not None and linked.email == ANNA_EMAIL
    finally:
        engine.dispose()


async def test_each_visit_shows_a_new_code_and_the_old_one_stops_working(
    aiohttp_client: Any,
    shop_dir: Path,  # noqa: F811
) -> None:
    first = _code(await _page(aiohttp_client, shop_dir, "?customer=ben"))
    second = _code(await _page(aiohttp_client, shop_dir, "?customer=ben"))
    assert first != second
    engine = make_engine(sqlite_url(shop_dir))
    try:
        linking = AccountLinking(make_session_factory(engine))
        assert linking.redeem(first, "telegram", "telegram-90002").outcome is LinkOutcome.UNKNOWN
        assert linking.redeem(second, "telegram", "telegram-90002").outcome is LinkOutcome.LINKED
    finally:
        engine.dispose()


async def test_without_a_bot_name_the_page_says_to_send_the_code(
    aiohttp_client: Any,
    shop_dir: Path,  # noqa: F811
) -> None:
    page = await _page(aiohttp_client, shop_dir, "?customer=clara", bot_name="")
    code = _code(page)
    assert f"/link {code}" in page and "t.me/" not in page


async def test_a_visitor_gets_no_code(
    aiohttp_client: Any,
    shop_dir: Path,  # noqa: F811
) -> None:
    page = await _page(aiohttp_client, shop_dir, "?visitor=1")
    assert "Connect Telegram" not in page and "telegram-code" not in page
