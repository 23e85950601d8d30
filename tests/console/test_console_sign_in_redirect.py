"""After sign-in the console goes back only to a path of its own site, never to another host.

Browsers strip tabs and newlines from URLs and read a backslash as a slash, so anything
that could turn into ``//evil.example`` once a browser has cleaned it up must be refused.
"""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.staff.auth import safe_next
from tests.console.staff_helpers import PASSWORD, add_account, csrf_in

OFF_SITE = [
    "https://evil.example/",
    "https:evil.example",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    "javascript:alert(1)",
    "/staff\x00",
    "/ /evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_targets_go_to_the_staff_home(target: str) -> None:
    assert safe_next(target) == "/staff"


@pytest.mark.parametrize(
    "target",
    ["/staff", "/staff/conversations?customer=anna&tag=late", "/admin/audit?page=2", "/"],
)
def test_paths_of_the_console_are_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.asyncio
@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "%2F%2Fevil"])
async def test_sign_in_link_with_an_encoded_target_lands_on_the_staff_home(
    client: TestClient, sessions: sessionmaker[Session], target: str
) -> None:
    """The attack as a phishing link: the query is decoded before it reaches the form."""
    add_account(sessions, "sam@shop.example")
    form = await client.get(f"/staff/sign-in?next={target}")
    html = await form.text()
    assert "evil" not in html

    response = await client.post(
        "/staff/sign-in",
        data={"email": "sam@shop.example", "password": PASSWORD, "csrf_token": csrf_in(html)},
        allow_redirects=False,
    )

    assert response.status == 303 and response.headers["Location"] == "/staff"
