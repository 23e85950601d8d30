"""Two consoles behind a real nginx (the scaled stack's template), sharing one Redis.

Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3), so nginx's
``X-Forwarded-For`` carries a real, distinct client address, as it would on the Internet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy.orm import Session, sessionmaker
from yarl import URL

from concierge.engines import Nginx, free_port, missing_engines, render_nginx_config
from console.chat.start_guard import CSRF_COOKIE, STARTS_PER_WINDOW
from console.keys import chat_hub_key
from console.signed_cookie import CHAT_COOKIE
from tests.console.conftest import FakeRasa
from tests.console.shared.conftest import Cluster, shared_settings, two_consoles

pytestmark = [pytest.mark.engines, pytest.mark.asyncio]


@dataclass
class Balanced:
    cluster: Cluster
    url: str


@pytest_asyncio.fixture
async def balanced(
    aiohttp_client: Any,
    tmp_path: Path,
    sessions: sessionmaker[Session],
    fake_rasa: FakeRasa,
    redis_url: str,
) -> AsyncIterator[Balanced]:
    if "nginx" in missing_engines():
        pytest.skip("nginx is not installed (Debian package nginx)")
    settings = replace(
        shared_settings(tmp_path, fake_rasa, redis_url), trusted_proxies=("127.0.0.1",)
    )
    cluster = await two_consoles(aiohttp_client, settings)
    listen = free_port()
    config = render_nginx_config(
        free_port(),
        [f"127.0.0.1:{free_port()}"],
        listen,
        [f"127.0.0.1:{cluster.a.server.port}", f"127.0.0.1:{cluster.b.server.port}"],
        free_port(),
        [f"127.0.0.1:{free_port()}"],
        tmp_path / "nginx",
    )
    with Nginx(tmp_path / "nginx", config):
        yield Balanced(cluster, f"http://127.0.0.1:{listen}")


def visitor(address: str) -> aiohttp.ClientSession:
    """A browser on ``address`` (a loopback alias), keeping cookies of an IP-named host."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(local_addr=(address, 0)),
        cookie_jar=aiohttp.CookieJar(unsafe=True),
    )


async def start(session: aiohttp.ClientSession, url: str) -> int:
    await session.get(f"{url}/")
    csrf = session.cookie_jar.filter_cookies(URL(url))[CSRF_COOKIE].value
    response = await session.post(
        f"{url}/chat/start", data={"csrf": csrf, "guest": "1"}, allow_redirects=False
    )
    return response.status


async def test_one_visitors_flood_across_both_consoles_does_not_lock_out_another(
    balanced: Balanced,
) -> None:
    async with visitor("127.0.0.2") as flooder, visitor("127.0.0.3") as other:
        flood = [await start(flooder, balanced.url) for _ in range(STARTS_PER_WINDOW + 1)]

        assert flood == [303] * STARTS_PER_WINDOW + [429]  # both consoles, one count
        assert await start(other, balanced.url) == 303


async def test_a_chat_through_nginx_gets_the_agent_message_from_the_other_console(
    balanced: Balanced,
) -> None:
    async with visitor("127.0.0.2") as customer:
        assert await start(customer, balanced.url) == 303
        cookies = customer.cookie_jar.filter_cookies(URL(balanced.url))
        sender_id = cookies[CHAT_COOKIE].value.split(".")[0]
        async with customer.ws_connect(f"{balanced.url}/ws/chat") as ws:
            assert (await ws.receive_json(timeout=5))["type"] == "ready"
            hubs = [balanced.cluster.a.app[chat_hub_key], balanced.cluster.b.app[chat_hub_key]]
            holder = next(h for h in hubs if h.is_connected(sender_id))
            other = hubs[1 - hubs.index(holder)]

            assert await other.push_to_customer(sender_id, "Sam here, via the other console.")

            frame = await ws.receive_json(timeout=5)
            assert frame["messages"][0]["text"] == "Sam here, via the other console."
