"""Admin pages: accounts and the audit log, refused to other roles, hostile input as text."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.staff.accounts import StaffDirectory
from tests.console.staff_helpers import PASSWORD, add_account, csrf_of, sign_in

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("role", ["agent", "marketer"])
@pytest.mark.parametrize("path", ["/admin/accounts", "/admin/audit"])
async def test_admin_pages_are_refused_to_other_roles(
    client: TestClient, sessions: sessionmaker[Session], role: str, path: str
) -> None:
    add_account(sessions, "sam@shop.example", role)
    await sign_in(client, "sam@shop.example")

    response = await client.get(path)

    assert response.status == 403
    assert f"needs the role admin; your account has {role}" in await response.text()


async def test_agent_cannot_create_accounts_even_with_a_valid_csrf_token(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(client, "sam@shop.example")
    token = await csrf_of(client, "/staff")

    response = await client.post(
        "/admin/accounts",
        data={
            "email": "x@shop.example",
            "password": PASSWORD,
            "role": "admin",
            "csrf_token": token,
        },
    )

    assert response.status == 403
    assert len(StaffDirectory(sessions).accounts()) == 1


async def test_admin_creates_an_account_who_can_then_sign_in(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "boss@shop.example", "admin")
    await sign_in(client, "boss@shop.example")
    token = await csrf_of(client, "/admin/accounts")

    response = await client.post(
        "/admin/accounts",
        data=[
            ("email", "mia@shop.example"),
            ("display_name", "Mia"),
            ("password", PASSWORD),
            ("role", "marketer"),
            ("role", "agent"),
            ("csrf_token", token),
        ],
    )

    assert response.status == 200
    assert "Created mia@shop.example." in await response.text()
    directory = StaffDirectory(sessions)
    mia = directory.authenticate("mia@shop.example", PASSWORD)
    assert mia is not None and mia.roles == {"agent", "marketer"}
    entry = directory.audit_log()[0]
    assert (entry.actor_email, entry.action, entry.target) == (
        "boss@shop.example",
        "account_created",
        "mia@shop.example",
    )


async def test_account_form_errors_are_shown_and_hostile_input_stays_text(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "boss@shop.example", "admin")
    await sign_in(client, "boss@shop.example")
    token = await csrf_of(client, "/admin/accounts")
    hostile = '"><script>alert(1)</script>'

    response = await client.post(
        "/admin/accounts",
        data={
            "email": hostile,
            "display_name": hostile,
            "password": PASSWORD,
            "role": "agent",
            "csrf_token": token,
        },
    )

    body = await response.text()
    assert response.status == 400
    assert "is not an e-mail address" in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


async def test_admin_disables_an_account_and_the_change_is_audited(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "boss@shop.example", "admin")
    sam = add_account(sessions, "sam@shop.example", "agent")
    await sign_in(client, "boss@shop.example")
    token = await csrf_of(client, "/admin/accounts")

    response = await client.post(
        f"/admin/accounts/{sam}/active",
        data={"active": "0", "csrf_token": token},
        allow_redirects=False,
    )

    assert response.status == 303
    directory = StaffDirectory(sessions)
    assert directory.account(sam).active is False
    audit = await client.get("/admin/audit")
    assert "account_disabled" in await audit.text()


async def test_admin_cannot_disable_their_own_account(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    boss = add_account(sessions, "boss@shop.example", "admin")
    await sign_in(client, "boss@shop.example")
    token = await csrf_of(client, "/admin/accounts")

    response = await client.post(
        f"/admin/accounts/{boss}/active", data={"active": "0", "csrf_token": token}
    )

    assert response.status == 400
    assert "You cannot disable your own account." in await response.text()
    assert StaffDirectory(sessions).account(boss).active is True


async def test_marketer_home_does_not_offer_agent_sections(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_account(sessions, "mia@shop.example", "marketer")
    await sign_in(client, "mia@shop.example")

    body = await (await client.get("/staff")).text()

    assert 'data-testid="tile-conversations"' not in body
    assert 'data-testid="tile-accounts"' not in body
