"""/healthz: what the supervisor (make demo, the tests) waits for before using the console."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aiohttp.test_utils import TestClient

from console.app import create_app


async def test_healthz_is_ok_when_the_store_opens(client: TestClient):
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json()) == {"status": "ok"}


async def test_healthz_reports_a_store_that_cannot_be_opened_without_saying_why(
    aiohttp_client, settings, tmp_path: Path
):
    a_folder = tmp_path / "a-folder-not-a-database"
    a_folder.mkdir()
    broken = replace(settings, db_url=f"sqlite:///{a_folder}")
    client = await aiohttp_client(create_app(broken, cookie_secret=b"x" * 32))
    response = await client.get("/healthz")
    assert response.status == 503
    # A public page: no driver message, no path (the cause is in the console's log).
    assert (await response.json()) == {"status": "degraded"}
