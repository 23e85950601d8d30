"""Rasa's calls to the action server encoded by ujson (bot/action_payload.py, issue 15).

What the action server receives must read back to what Rasa's own ``json.dumps`` would have
sent: checked on the request of every step of the end-to-end test stories, on values where
the two encoders differ in their text, and on a real HTTP call to a loopback server.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import action_payload
from bot.action_payload import json_text, send_json_encoded_by_ujson
from tests.rasa_side.conftest import story_events

AWKWARD = [
    {"text": "où est ma commande? 😊 / ½ \u2028", "n": 2**70, "f": [0.1 + 0.2, 1e-320, -0.0, 1e22]},
    {1: "int key", False: "bool key", "t": (1, 2), "none": None},
    {"nan": float("nan"), "inf": float("-inf")},
    {"surrogate": "\ud800 alone"},
]


def _same_reading(value: Any) -> None:
    ours, rasas = json_text(value), json.dumps(value)
    # NaN != NaN: compare the texts of what both read back, which spell it alike.
    assert json.dumps(json.loads(ours)) == json.dumps(json.loads(rasas))


@pytest.mark.parametrize("value", AWKWARD)
def test_awkward_values_read_back_as_rasas(value: Any) -> None:
    _same_reading(value)


def test_what_json_cannot_encode_fails_as_it_did() -> None:
    with pytest.raises(TypeError):
        json_text({"a set": {1, 2}})


def test_every_request_of_the_test_stories_reads_back_as_rasas(core_agent: Any) -> None:
    domain = core_agent.domain
    action = RemoteAction("action_check_order", EndpointConfig("http://127.0.0.1:1"))
    requests = 0
    for events in story_events(domain):
        tracker = DialogueStateTracker("web-1", domain.slots)
        for event in events:
            tracker.update(event, domain)
            if isinstance(event, ActionExecuted):
                body = action._action_call_format(tracker, domain)
                _same_reading(body)
                assert len(json_text(body)) < len(json.dumps(body))  # ujson wrote it
                requests += 1
    assert requests > 300


def test_the_action_server_receives_ujsons_text() -> None:
    send_json_encoded_by_ujson()
    asyncio.run(_call_a_loopback_action_server())


async def _call_a_loopback_action_server() -> None:
    received: list[bytes] = []

    async def action(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", action)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        body = {"next_action": "action_x", "tracker": {"events": [{"text": "a/b é"}]}}
        reply = await EndpointConfig(f"http://127.0.0.1:{port}/webhook").request(json=body)
        assert reply == {"events": [], "responses": []}
        assert received == [json_text(body).encode()]  # ujson's text, not json.dumps'
        assert json.loads(received[0]) == body
        assert EndpointConfig.session is action_payload._session_encoding_with_ujson
    finally:
        await runner.cleanup()


def test_the_channel_installs_the_encoding() -> None:
    from bot.channels.concierge_rest import ConciergeRestInput

    ConciergeRestInput(secret="s3cret").blueprint(lambda message: None)
    assert EndpointConfig.session is action_payload._session_encoding_with_ujson
