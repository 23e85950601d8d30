"""The console's logs carry ids, never what a customer typed: not even when a turn fails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from concierge.settings import Settings
from console.app import create_app
from console.middleware import ACCESS_LOGGER
from tests.console.chat_helpers import open_chat
from tests.console.conftest import COOKIE_SECRET, FakeRasa

SAID = "my card is 4111 1111 1111 1111 and I live at 12 Rose Lane, ring 07700 900123"


def echoing(status: int) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    """A broken Rasa that repeats the message in its error body, as a traceback page might."""
    return lambda body: (status, f"error while handling {body['message']!r}")


@pytest.mark.parametrize(
    "answer",
    [echoing(500), echoing(200), lambda body: (200, {"error": body["message"]})],
    ids=["http-500", "not-json", "not-a-list"],
)
async def test_a_failing_turn_logs_its_sender_not_its_text(
    client: TestClient,
    fake_rasa: FakeRasa,
    caplog: pytest.LogCaptureFixture,
    answer: Callable[[dict[str, Any]], tuple[int, Any]],
) -> None:
    fake_rasa.answer = answer
    caplog.set_level(logging.DEBUG)
    sender_id, ws = await open_chat(client)

    await ws.send_json({"type": "message", "id": "c1", "text": SAID})
    reply = await ws.receive_json(timeout=10)

    assert reply["type"] == "error"
    assert sender_id in caplog.text
    for fragment in ("4111", "Rose Lane", "07700", SAID[:20]):
        assert fragment not in caplog.text


async def test_rasa_down_logs_no_text_either(
    rasa_down_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _sender_id, ws = await open_chat(rasa_down_client)

    await ws.send_json({"type": "message", "id": "c1", "text": SAID})
    await ws.receive_json(timeout=10)

    assert "Rose Lane" not in caplog.text and "07700" not in caplog.text


async def test_the_access_log_leaves_out_query_strings_and_referrers(
    aiohttp_client: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Staff search conversations by a customer's e-mail or name, which lands in the query."""
    app = create_app(settings, cookie_secret=COOKIE_SECRET)
    server = TestServer(app)
    await server.start_server(access_log_class=ACCESS_LOGGER)
    client = await aiohttp_client(server)
    caplog.set_level(logging.INFO, logger="aiohttp.access")

    await client.get(
        "/staff/conversations?customer=anna.smith%40example.com&q=Rose+Lane",
        headers={"Referer": "http://127.0.0.1/staff/conversations?customer=ben%40example.com"},
    )

    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert lines and "/staff/conversations" in lines[0]
    for fragment in ("anna", "example.com", "Rose", "ben"):
        assert fragment not in caplog.text
