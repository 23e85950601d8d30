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
from rasa.shared.core.events import ActionExecuted, EntitiesAdded, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import action_payload
from bot.action_payload import (
    EncodedEvents,
    json_text,
    reduce_earlier_messages,
    send_actions_what_they_read,
    send_json_encoded_by_ujson,
)
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


def _rasas_request(action: RemoteAction, tracker: DialogueStateTracker, domain: Any) -> Any:
    """Rasa 3.6's request, with earlier messages reduced (reduce_earlier_messages)."""
    body = action_payload._rasas_call_format(action, tracker, domain)
    body["tracker"]["events"] = reduce_earlier_messages(body["tracker"]["events"])
    return body


def _check(action: RemoteAction, tracker: DialogueStateTracker, domain: Any) -> Any:
    body = action._action_call_format(tracker, domain)
    assert isinstance(body["tracker"]["events"], EncodedEvents)
    expected = _rasas_request(action, tracker, domain)
    assert body == expected  # the dicts, for whoever reads them before encoding
    assert json.loads(json_text(body)) == json.loads(json.dumps(expected))
    return body


def test_every_request_is_rasas_with_the_events_text_written_once(core_agent: Any) -> None:
    send_actions_what_they_read()
    domain = core_agent.domain
    action = RemoteAction("action_check_order", EndpointConfig("http://127.0.0.1:1"))
    long = DialogueStateTracker("web-long", domain.slots)  # every story, one after the other
    requests = 0
    for events in story_events(domain):
        tracker = DialogueStateTracker("web-1", domain.slots)
        for event in events:
            tracker.update(event, domain)
            long.update(event, domain)
            if isinstance(event, ActionExecuted):
                _check(action, tracker, domain)
                _check(action, long.copy(), domain)  # a copy shares the event objects
                requests += 1
    assert requests > 300
    # A conversation read again from the store has new event objects: written anew.
    again = DialogueStateTracker.from_dict(
        "web-long", [e.as_dict() for e in long.events], domain.slots
    )
    _check(action, again, domain)


def test_entities_added_to_the_latest_message_are_sent(core_agent: Any) -> None:
    send_actions_what_they_read()
    domain = core_agent.domain
    action = RemoteAction("action_check_order", EndpointConfig("http://127.0.0.1:1"))
    tracker = DialogueStateTracker("web-4", domain.slots)
    for event in story_events(domain)[0]:
        tracker.update(event, domain)
    first = _check(action, tracker, domain)
    entity = {"entity": "order_number", "value": "18992", "start": 0, "end": 5}
    tracker.update(EntitiesAdded([entity]), domain)  # changes the latest message in place
    second = _check(action, tracker, domain)
    assert json.loads(json_text(second)) != json.loads(json_text(first))
    tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}), domain)
    _check(action, tracker, domain)  # the earlier message, now reduced, as Rasa writes it


def test_a_changed_event_list_is_written_as_it_now_is() -> None:
    events = EncodedEvents([{"event": "action"}], '[{"event":"action"}]')
    body = {"next_action": "a", "tracker": {"sender_id": "s", "events": events}}
    events.append({"event": "user"})
    assert json.loads(json_text(body))["tracker"]["events"] == [
        {"event": "action"},
        {"event": "user"},
    ]
