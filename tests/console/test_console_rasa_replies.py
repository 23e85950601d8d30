"""Parsing the REST channel's answer into what the chat page shows."""

from __future__ import annotations

import json

import pytest

from console.chat.rasa_client import BotMessage, Button, RasaUnavailable, parse_replies


def body(payload: object) -> bytes:
    return json.dumps(payload).encode()


def test_text_buttons_image_and_custom_are_kept() -> None:
    replies = parse_replies(
        body(
            [
                {
                    "recipient_id": "web-1",
                    "text": "Pick one",
                    "buttons": [{"title": "Track order", "payload": "/order_status"}],
                },
                {"recipient_id": "web-1", "image": "https://shop.example/a.png"},
                {"recipient_id": "web-1", "custom": {"product_ids": [3, 4]}},
            ]
        )
    )

    assert replies == [
        BotMessage(text="Pick one", buttons=(Button("Track order", "/order_status"),)),
        BotMessage(image="https://shop.example/a.png"),
        BotMessage(custom={"product_ids": [3, 4]}),
    ]


def test_button_without_payload_sends_its_title() -> None:
    (reply,) = parse_replies(body([{"text": "Size?", "buttons": [{"title": "Large"}]}]))

    assert reply.buttons == (Button("Large", "Large"),)


@pytest.mark.parametrize(
    "image", ["javascript:alert(1)", "data:text/html,<script>", "//evil.example/x.png", "  "]
)
def test_images_that_are_not_web_addresses_are_dropped(image: str) -> None:
    assert parse_replies(body([{"text": "look", "image": image}])) == [BotMessage(text="look")]


def test_empty_reply_list_means_the_bot_said_nothing() -> None:
    assert parse_replies(b"[]") == []


@pytest.mark.parametrize("raw", [b"<html>502</html>", b'{"text": "hi"}', b"\xff\xfe"])
def test_answers_that_are_not_a_message_list_count_as_unavailable(raw: bytes) -> None:
    with pytest.raises(RasaUnavailable):
        parse_replies(raw)
