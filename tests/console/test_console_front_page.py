"""The front page: the demo customer picker and the guest choice."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import add_customer

pytestmark = pytest.mark.asyncio


async def test_front_page_lists_customers_with_a_chat_button_each(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, email="anna@example.com", first_name="Anna", last_name="Smith")
    ben = add_customer(sessions, email="ben@example.com", first_name="Ben", last_name="Jones")

    response = await client.get("/")
    html = await response.text()

    assert response.status == 200
    assert "Anna Smith" in html and "anna@example.com" in html
    assert "Ben Jones" in html and "ben@example.com" in html
    assert f'data-customer-id="{anna}"' in html and f'data-customer-id="{ben}"' in html
    assert f'name="customer_id" value="{anna}"' in html
    assert 'data-testid="guest-start"' in html


async def test_hostile_customer_name_is_shown_as_text_not_markup(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_customer(
        sessions,
        email="mallory@example.com",
        first_name="<script>alert(1)</script>",
        last_name='"><img src=x onerror=alert(2)>',
    )

    html = await (await client.get("/")).text()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html


async def test_search_finds_customers_by_email_or_name_only(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_customer(sessions, email="anna@example.com", first_name="Anna", last_name="Smith")
    add_customer(sessions, email="ben@shop.test", first_name="Ben", last_name="Jones")

    by_mail = await (await client.get("/", params={"q": "shop.test"})).text()
    by_name = await (await client.get("/", params={"q": "anna smith"})).text()

    assert "ben@shop.test" in by_mail and "anna@example.com" not in by_mail
    assert "anna@example.com" in by_name and "ben@shop.test" not in by_name
    assert 'value="shop.test"' in by_mail


async def test_search_without_match_says_so(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_customer(sessions, email="anna@example.com")

    html = await (await client.get("/", params={"q": "<nobody>"})).text()

    assert 'data-testid="customer-list-empty"' in html
    assert "No customer matches “&lt;nobody&gt;”" in html


async def test_customer_list_pages_through_many_customers(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    for n in range(30):
        add_customer(sessions, email=f"c{n:02d}@example.com")

    first = await (await client.get("/")).text()
    second = await (await client.get("/", params={"page": "1"})).text()

    assert "c00@example.com" in first and "c24@example.com" in first
    assert "c25@example.com" not in first and 'rel="next"' in first
    assert "c25@example.com" in second and "c29@example.com" in second
    assert 'rel="next"' not in second and 'rel="prev"' in second


async def test_empty_shop_explains_how_to_get_customers(client: TestClient) -> None:
    html = await (await client.get("/")).text()

    assert "There are no customers in the shop yet" in html


async def test_pages_forbid_inline_scripts(client: TestClient) -> None:
    response = await client.get("/")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_static_chat_script_and_styles_are_served(client: TestClient) -> None:
    script = await client.get("/static/js/chat.js")
    styles = await client.get("/static/css/console.css")

    code = await script.text()
    assert script.status == 200 and "textContent" in code
    # No API that parses a string as HTML may appear in the page's script.
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", code)
    assert styles.status == 200 and ".bubble" in await styles.text()
