"""The admin's "forget a customer" page: look up, confirm, erase; audited; admins only."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console.models import AuditEntry
from console.staff.accounts import StaffDirectory
from store.repository import ShopRepository
from store.tracker_store import TrackerStore
from tests.console.staff_helpers import add_account, csrf_in, csrf_of, sign_in
from tests.store.privacy_scene import ANNA_EMAIL, Scene, build

pytestmark = pytest.mark.asyncio

PAGE = "/admin/customers/forget"


@pytest.fixture
def scene(tmp_path: Path, sessions: sessionmaker[Session]) -> Scene:
    # The same files the console's settings name (tests/console/conftest.py).
    return build(tmp_path)


async def test_admin_looks_up_confirms_and_forgets_a_customer(
    client: TestClient, scene: Scene
) -> None:
    add_account(scene.sessions, "boss@shop.example", "admin")
    await sign_in(client, "boss@shop.example")
    token = await csrf_of(client, PAGE)

    looked_up = await client.post(PAGE, data={"customer_id": str(scene.anna), "csrf_token": token})
    html = await looked_up.text()
    assert looked_up.status == 200 and ANNA_EMAIL in html and 'data-testid="forget-confirm"' in html
    assert ShopRepository(scene.sessions).get_customer(scene.anna) is not None  # not yet

    done = await client.post(
        PAGE, data={"customer_id": str(scene.anna), "confirm": "yes", "csrf_token": csrf_in(html)}
    )
    html = await done.text()
    assert done.status == 200 and 'data-testid="forget-done"' in html
    assert ShopRepository(scene.sessions).get_customer(scene.anna) is None
    tracker = TrackerStore(scene.tracker_url)
    assert tracker.events_of(scene.anna_senders) == {}
    tracker.close()
    with scene.sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer_erased"))
    assert entry is not None and entry.actor_email == "boss@shop.example"
    assert entry.target in html  # the reference the admin sees is the one audited


async def test_an_unknown_or_malformed_id_is_explained_and_erases_nothing(
    client: TestClient, scene: Scene
) -> None:
    add_account(scene.sessions, "boss@shop.example", "admin")
    await sign_in(client, "boss@shop.example")
    token = await csrf_of(client, PAGE)
    for raw, status, words in (("999999", 404, "no customer 999999"), ("4x", 400, "whole number")):
        response = await client.post(
            PAGE, data={"customer_id": raw, "confirm": "yes", "csrf_token": token}
        )
        assert response.status == status and words in await response.text()
    assert ShopRepository(scene.sessions).get_customer(scene.anna) is not None


@pytest.mark.parametrize("role", ["agent", "marketer"])
async def test_other_roles_cannot_forget_even_with_a_valid_csrf_token(
    client: TestClient, scene: Scene, role: str
) -> None:
    add_account(scene.sessions, "sam@shop.example", role)
    await sign_in(client, "sam@shop.example")
    token = await csrf_of(client, "/staff")

    response = await client.post(
        PAGE, data={"customer_id": str(scene.anna), "confirm": "yes", "csrf_token": token}
    )

    assert response.status == 403
    assert ShopRepository(scene.sessions).get_customer(scene.anna) is not None
    assert not [
        e for e in StaffDirectory(scene.sessions).audit_log() if e.action == "customer_erased"
    ]


async def test_a_forged_cross_site_post_without_the_csrf_token_erases_nothing(
    client: TestClient, scene: Scene
) -> None:
    add_account(scene.sessions, "boss@shop.example", "admin")
    await sign_in(client, "boss@shop.example")

    response = await client.post(PAGE, data={"customer_id": str(scene.anna), "confirm": "yes"})

    assert response.status == 403
    assert ShopRepository(scene.sessions).get_customer(scene.anna) is not None
