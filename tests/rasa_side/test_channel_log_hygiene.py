"""The concierge channel's logs name the sender of a failed turn, never what was said."""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any

from bot.channels.concierge_rest import CHANNEL_SECRET_HEADER, ConciergeRestInput

SECRET = "channel-secret-for-tests-0123456789"
SAID = "my card is 4111 1111 1111 1111 and I live at 12 Rose Lane"


def _webhook_handler(channel: ConciergeRestInput, on_new_message: Any) -> Any:
    blueprint = channel.blueprint(on_new_message)
    return next(r.handler for r in blueprint._future_routes if r.uri == "/webhook")


def _request(body: dict[str, Any]) -> Any:
    # What the handler reads of a Sanic request: headers, the JSON body, the peer address.
    return SimpleNamespace(
        headers={CHANNEL_SECRET_HEADER: SECRET}, json=body, ip="127.0.0.1", args={}
    )


def test_a_failing_turn_logs_the_sender_id_and_not_the_text(capsys, caplog) -> None:
    async def failing(message: Any) -> None:
        # An error whose message repeats what the customer typed, as a parse error might.
        raise ValueError(f"cannot handle {message.text!r}")

    caplog.set_level(logging.DEBUG)
    handler = _webhook_handler(ConciergeRestInput(secret=SECRET), failing)

    answer = asyncio.run(handler(_request({"sender": "web-7f3c", "message": SAID})))

    assert answer.status == 200
    assert json.loads(answer.body)[0]["recipient_id"] == "web-7f3c"
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "web-7f3c" in logged
    for fragment in ("4111", "Rose Lane", SAID[:12]):
        assert fragment not in logged
