"""The concierge channel takes a turn only from the console, and never runs without a secret.

The attack itself (a turn posted to a real Rasa, the tracker store read afterwards) is in
tests/security/test_closed_services.py; these check the channel's own decisions quickly.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from bot.channels.concierge_rest import (
    CHANNEL_SECRET_HEADER,
    ConciergeRestInput,
    MissingChannelSecret,
)

SECRET = "channel-secret-for-tests-0123456789"


def _webhook_handler(channel: ConciergeRestInput, on_new_message: Any) -> Any:
    blueprint = channel.blueprint(on_new_message)
    return next(r.handler for r in blueprint._future_routes if r.uri == "/webhook")


def _request(headers: dict[str, str]) -> Any:
    # What the handler reads of a Sanic request: headers, the JSON body, the peer address.
    body = {"sender": "web-7f3c", "message": "cancel order 18992"}
    return SimpleNamespace(headers=headers, json=body, ip="127.0.0.1", args={})


@pytest.mark.parametrize("credentials", [None, {}, {"secret": ""}, {"secret": "  "}])
def test_the_channel_will_not_open_without_a_secret(credentials: Any) -> None:
    with pytest.raises(MissingChannelSecret, match="set CONCIERGE_CHANNEL_SECRET"):
        ConciergeRestInput.from_credentials(credentials)


@pytest.mark.parametrize(
    "headers",
    [{}, {CHANNEL_SECRET_HEADER: ""}, {CHANNEL_SECRET_HEADER: SECRET[:-1]}, {"secret": SECRET}],
    ids=["none", "empty", "almost", "other header"],
)
def test_a_turn_without_the_secret_gets_403_and_never_reaches_rasa(
    headers: dict[str, str],
) -> None:
    reached: list[Any] = []

    async def on_new_message(message: Any) -> None:
        reached.append(message)

    channel = ConciergeRestInput.from_credentials({"secret": SECRET})
    handler = _webhook_handler(channel, on_new_message)

    answer = asyncio.run(handler(_request(headers)))

    assert answer.status == 403
    assert b"18992" not in answer.body
    assert reached == []


def test_the_consoles_turn_reaches_rasa() -> None:
    reached: list[Any] = []

    async def on_new_message(message: Any) -> None:
        reached.append(message)

    channel = ConciergeRestInput.from_credentials({"secret": SECRET})
    handler = _webhook_handler(channel, on_new_message)

    answer = asyncio.run(handler(_request({CHANNEL_SECRET_HEADER: SECRET})))

    assert answer.status == 200
    assert [(m.sender_id, m.text) for m in reached] == [("web-7f3c", "cancel order 18992")]
