"""A turn that fails inside Rasa is answered with the apology, never with half its replies."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.channels.concierge_rest import NO_REPLY_APOLOGY, ConciergeRestInput
from tests.rasa_side.test_channel_log_hygiene import SECRET, _request, _webhook_handler


def test_replies_sent_before_a_failure_are_replaced_by_the_apology() -> None:
    async def fails_after_replying(message: Any) -> None:
        # As when Rasa ran the turn's actions and then could not save the tracker.
        await message.output_channel.send_text_message(message.sender_id, "Hello, Anna!")
        raise ConnectionError("the tracker store went away")

    handler = _webhook_handler(ConciergeRestInput(secret=SECRET), fails_after_replying)

    answer = asyncio.run(handler(_request({"sender": "web-1", "message": "hi"})))

    assert answer.status == 200
    assert [m["text"] for m in json.loads(answer.body)] == [NO_REPLY_APOLOGY]


def test_a_turn_that_succeeds_keeps_its_replies() -> None:
    async def replies(message: Any) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Hello, Anna!")

    handler = _webhook_handler(ConciergeRestInput(secret=SECRET), replies)

    answer = asyncio.run(handler(_request({"sender": "web-1", "message": "hi"})))

    assert [m["text"] for m in json.loads(answer.body)] == ["Hello, Anna!"]
