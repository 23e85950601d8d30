"""The admin page for API keys: admins only, CSRF-protected, the token shown once and working."""

from __future__ import annotations

import logging
import re

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.staff.accounts import StaffDirectory
from store.api_keys import ApiKeys
from tests.console.staff_helpers import add_account, csrf_of, sign_in

pytestmark = pytest.mark.asyncio


def token_in(html: str) -> str:
    """The key token a page shows, failing the test when there is none."""
    found = re.search(r'value="(ck_[0-9a-f]{12}_[A-Za-z0-9_-]+)"', html)
    assert found, "the page shows no API key token"
    return found.group(1)


async def as_admin(client: TestClient, sessions: sessionmaker[Session]) -> str:
    add_account(sessions, "boss@shop.example", "admin", name="Boss")
    await sign_in(client, "boss@shop.example")
    return await csrf_of(client, "/admin/api-keys")


async def create(client: TestClient, token: str, name: str, *scopes: str) -> tuple[int, str]:
    form = [("csrf_token", token), ("name", name)] + [("scope", s) for s in scopes]
    response = await client.post("/admin/api-keys", data=form)
    return response.status, await response.text()


@pytest.mark.parametrize("role", ["agent", "marketer"])
async def test_other_roles_are_refused_the_page_and_cannot_create_or_revoke(
    client: TestClient, sessions: sessionmaker[Session], role: str
) -> None:
    key, _ = ApiKeys(sessions).create("crm", ["scores:read"])
    add_account(sessions, "sam@shop.example", role)
    await sign_in(client, "sam@shop.example")
    token = await csrf_of(client, "/staff")

    page = await client.get("/admin/api-keys")
    made = await client.post(
        "/admin/api-keys", data={"csrf_token": token, "name": "x", "scope": "scores:read"}
    )
    revoked = await client.post(
        f"/admin/api-keys/{key.key_id}/revoke", data={"csrf_token": token, "confirm": "yes"}
    )

    assert (page.status, made.status, revoked.status) == (403, 403, 403)
    assert "needs the role admin" in await page.text()
    keys = ApiKeys(sessions).list()
    assert [(k.name, k.active) for k in keys] == [("crm", True)]
    assert 'data-testid="nav-api-keys"' not in await (await client.get("/staff")).text()


async def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = await client.get("/admin/api-keys", allow_redirects=False)

    assert response.status == 303
    assert response.headers["Location"] == "/staff/sign-in?next=%2Fadmin%2Fapi-keys"


async def test_create_and_revoke_need_the_csrf_token(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    key, _ = ApiKeys(sessions).create("crm", ["scores:read"])
    await as_admin(client, sessions)

    made = await client.post("/admin/api-keys", data={"name": "x", "scope": "scores:read"})
    revoked = await client.post(
        f"/admin/api-keys/{key.key_id}/revoke", data={"csrf_token": "0" * 64, "confirm": "yes"}
    )

    assert made.status == 403 and revoked.status == 403
    assert [(k.name, k.active) for k in ApiKeys(sessions).list()] == [("crm", True)]


async def test_admin_creates_a_key_that_the_api_accepts_and_sees_its_token_only_once(
    client: TestClient, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    token = await as_admin(client, sessions)
    caplog.set_level(logging.DEBUG)

    status, html = await create(
        client, token, "  newsletter   tool ", "scores:read", "recommendations:read"
    )

    assert status == 200
    assert "Copy it now, it is not shown again." in html
    api_token = token_in(html)
    key = ApiKeys(sessions).authenticate(api_token)
    assert key is not None
    assert key.name == "newsletter tool"
    assert key.scopes == ("recommendations:read", "scores:read")
    secret = api_token.rsplit("_", 1)[1]
    listing = await (await client.get("/admin/api-keys")).text()
    assert key.key_id in listing and "newsletter tool" in listing
    assert secret not in listing
    audit = await (await client.get("/admin/audit")).text()
    assert f"api key {key.key_id}" in audit and "api_key_created" in audit
    assert secret not in audit
    assert all(secret not in str(entry.detail) for entry in StaffDirectory(sessions).audit_log())
    assert all(secret not in record.getMessage() for record in caplog.records)


async def test_the_token_page_is_not_kept_by_the_browser(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_admin(client, sessions)

    response = await client.post(
        "/admin/api-keys", data={"csrf_token": token, "name": "crm", "scope": "scores:read"}
    )

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("name", "scopes", "error"),
    [
        ("crm", (), "a key needs at least one scope"),
        ("   ", ("scores:read",), "a key needs a name of 1 to 100 characters"),
        ("crm", ("scores:write",), "unknown scope(s) scores:write; choose from"),
    ],
)
async def test_a_key_that_cannot_be_made_is_explained_beside_the_kept_form(
    client: TestClient,
    sessions: sessionmaker[Session],
    name: str,
    scopes: tuple[str, ...],
    error: str,
) -> None:
    token = await as_admin(client, sessions)

    status, html = await create(client, token, name, *scopes)

    assert status == 400
    assert error in html
    assert "ck_" not in html
    assert ApiKeys(sessions).list() == []


async def test_revoking_asks_first_then_the_api_refuses_the_key(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    key, api_token = ApiKeys(sessions).create("crm", ["scores:read"])
    token = await as_admin(client, sessions)

    asked = await client.get(f"/admin/api-keys/{key.key_id}/revoke")
    unconfirmed = await client.post(
        f"/admin/api-keys/{key.key_id}/revoke", data={"csrf_token": token}, allow_redirects=False
    )
    assert asked.status == 200 and "gets 401 from the API at once" in await asked.text()
    assert unconfirmed.status == 303
    assert ApiKeys(sessions).authenticate(api_token) is not None

    done = await client.post(
        f"/admin/api-keys/{key.key_id}/revoke",
        data={"csrf_token": token, "confirm": "yes"},
        allow_redirects=False,
    )

    assert done.status == 303
    assert done.headers["Location"] == f"/admin/api-keys?revoked={key.key_id}"
    assert ApiKeys(sessions).authenticate(api_token) is None
    listing = await (await client.get(done.headers["Location"])).text()
    assert f"Revoked {key.key_id} (crm)." in listing
    assert 'data-testid="api-key-revoke"' not in listing
    audit = await (await client.get("/admin/audit")).text()
    assert "api_key_revoked" in audit


async def test_revoking_an_unknown_key_is_a_404(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_admin(client, sessions)

    page = await client.get("/admin/api-keys/0123456789ab/revoke")
    post = await client.post(
        "/admin/api-keys/0123456789ab/revoke", data={"csrf_token": token, "confirm": "yes"}
    )

    assert page.status == 404 and post.status == 404
    assert "0123456789ab" in await post.text()


async def test_admins_find_the_page_in_the_navigation(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await as_admin(client, sessions)

    home = await (await client.get("/staff")).text()

    assert 'href="/admin/api-keys" data-testid="nav-api-keys"' in home
