"""Outreach by Telegram: the offer sent with the Bot API's ``sendMessage`` to a linked customer.

The chat id is the Telegram user id of the customer's linked identity (``identities`` row
with channel ``telegram`` and channel user id ``telegram-<user id>``, made by
``store.account_linking``): in a private chat the two are the same number.

The offer's buttons become an inline keyboard whose ``callback_data`` are the very payloads
the chat uses (``/accept_offer`` ...), so a press reaches Rasa's Telegram channel as the
same message a web-chat button sends. The channel turns a payload over Telegram's 64-byte
limit into a digest that it resolves against the buttons the bot offered *in the
conversation*; an outreach message is not in the conversation, so such a digest could never
be resolved. A button whose payload does not fit is therefore left out, not digested (the
offer payloads are a few bytes, so in practice none is).

What the Bot API answers is sorted like SMTP's replies (``promotions.outreach_email``):
403 (the user blocked the bot, or never started it) and 400 (no such chat) are bounces and
never retried; 429 and 5xx are temporary; 401 / 404 (a wrong token or address) are this
shop's set-up, retried a bounded number of times rather than blamed on the customer; no
answer at all stops Telegram sending for the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from promotions.outreach_email import Delivery, DeliveryResult

CHANNEL = "telegram"
SENDER_PREFIX = "telegram-"  # bot/channels/telegram.py's sender ids (the identities rows)
MAX_TEXT = 4096  # Telegram's limit for a message's text
MAX_CALLBACK_DATA = 64  # bytes
TELEGRAM_TIMEOUT_SECONDS = 30.0


def chat_id_of(channel_user_id: str) -> str | None:
    """The chat id of a linked identity's ``telegram-<user id>``, or None when it is not one."""
    user_id = channel_user_id.removeprefix(SENDER_PREFIX)
    if channel_user_id.startswith(SENDER_PREFIX) and user_id.lstrip("-").isdigit():
        return user_id
    return None


def inline_keyboard(buttons: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The offer's buttons in one row, as the chat's inline keyboard; None when none fit."""
    row = [
        {"text": str(b["title"]), "callback_data": str(b["payload"])}
        for b in buttons
        if b.get("title") and 0 < len(str(b.get("payload", "")).encode()) <= MAX_CALLBACK_DATA
    ]
    return {"inline_keyboard": [row]} if row else None


def send_message_body(
    chat_id: str, text: str, buttons: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The ``sendMessage`` parameters; raises ``ValueError`` for a text Telegram refuses."""
    if not text.strip():
        raise ValueError("the offer text is empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"the offer text is over Telegram's {MAX_TEXT} characters")
    body: dict[str, Any] = {"chat_id": chat_id, "text": text}
    keyboard = inline_keyboard(buttons)
    if keyboard is not None:
        body["reply_markup"] = keyboard
    return body


def outcome_of(status: int, answer: Mapping[str, Any]) -> DeliveryResult:
    """How a Bot API answer ends an attempt (``status`` is the HTTP status)."""
    if status == 200 and answer.get("ok") is True:
        return DeliveryResult(Delivery.SENT)
    code = int(answer.get("error_code") or status)
    detail = f"{code} {answer.get('description') or 'no description'}"
    if code in (400, 403):
        return DeliveryResult(Delivery.BOUNCED, detail)
    return DeliveryResult(Delivery.TEMPORARY, detail)


class TelegramSender:
    """Sends outreach messages through the Bot API at ``api_url`` (as the channel does)."""

    def __init__(
        self, token: str, api_url: str, *, timeout: float = TELEGRAM_TIMEOUT_SECONDS
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    async def send(self, body: Mapping[str, Any]) -> DeliveryResult:
        """Call ``sendMessage`` with ``body``; never raises for what Telegram or the network do."""
        url = f"{self.api_url}/bot{self.token}/sendMessage"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http,
                http.post(url, json=dict(body)) as response,
            ):
                raw = await response.text()
                status = response.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return DeliveryResult(Delivery.UNREACHABLE, f"{type(exc).__name__}: {exc}")
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        return outcome_of(status, answer)
