"""The Telegram channel: Rasa 3.6's connector, made safe to expose and usable by a shop.

Rasa's own ``TelegramInput`` (aiogram 2.15) keeps its update parsing and its inline
keyboards; this subclass adds what a public webhook and this project need:

* every update must carry Telegram's ``X-Telegram-Bot-Api-Secret-Token`` header (set with
  ``setWebhook``'s ``secret_token`` at start-up); anything else gets a 403 before it is
  parsed, since the upstream connector takes any POST as a message from any user;
* a conversation's sender id is ``telegram-<user id>`` from the update's ``from`` (never
  from the text), and only private chats are answered, so a group cannot share one
  customer's conversation; the session metadata says ``channel: telegram``, which is how
  ``action_session_start`` looks the sender up in the identities table;
* a button press is answered (``answerCallbackQuery``, or the user's client spins) and
  arrives as its payload; a payload over Telegram's 64-byte ``callback_data`` limit travels
  as a digest the channel resolves against the buttons the bot itself offered;
* ``/start CODE`` (the shop's deep link), ``/link CODE`` and ``/unlink`` become the account
  linking intents (``command_text``); a plain ``/start`` greets;
* texts are split under Telegram's 4096-character limit;
* while an agent holds the conversation (the console's handoff desk), a message goes to
  the console for the agent instead of to the bot: the channel asks the console first
  (``handoff_url``, with the channel secret the console and Rasa share), as the web chat's
  relay does; a console that does not answer leaves the bot answering;
* the Bot API's address is configurable (a local stand-in in the tests), and a bot name
  that does not match ``getMe`` stops start-up instead of silently dropping every update.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import Update
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.concierge_rest import CHANNEL_SECRET_HEADER

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SENDER_PREFIX = "telegram-"
CHANNEL = "telegram"
DEFAULT_API_URL = "https://api.telegram.org"
# Telegram's limits: a message's text, and a button's callback_data (bytes).
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
DIGEST_PREFIX = "#"
# What Telegram sends when someone opens the bot; the assistant knows it as a greeting.
START_COMMAND = "/start"
GREETING_PAYLOAD = "/greet"
# Account linking (actions/linking.py): "/start CODE" (the shop's t.me deep link), "/link
# CODE" typed by hand, and "/unlink" become the domain's intents, the code an entity.
LINK_COMMAND = "/link"
UNLINK_COMMAND = "/unlink"
LINK_INTENT = "link_account"
UNLINK_INTENT = "unlink_account"
LINK_CODE_ENTITY = "link_code"
# Longer than any code the store issues (8), short enough to keep junk out of the tracker.
MAX_LINK_CODE = 32
# How long a turn waits for the console to say whether an agent holds the conversation.
HANDOFF_CHECK_SECONDS = 5.0
TURN_FAILED_REPLY = (
    "Sorry, something went wrong on my side and I couldn't finish that. "
    "Please try again in a moment."
)


class TelegramConfigurationError(RasaException):
    """The Telegram channel is configured incompletely; Rasa prints this and exits."""


def sender_id_for(user_id: int) -> str:
    """The conversation id of a Telegram user (the identities table's channel user id)."""
    return f"{SENDER_PREFIX}{user_id}"


def chat_id_of(recipient_id: str) -> str:
    """The Telegram chat id to answer a conversation in (private chat id = user id)."""
    return recipient_id.removeprefix(SENDER_PREFIX)


def command_text(text: str) -> str:
    """The message Rasa gets for a typed Telegram text: bot commands become intents.

    ``/start`` alone greets; ``/start CODE`` (Telegram's deep link ``t.me/<bot>?start=CODE``)
    and ``/link CODE`` become ``/link_account{"link_code": "CODE"}`` (Rasa's intent syntax,
    so no NLU model has to recognise a code); ``/unlink`` becomes ``/unlink_account``.
    Anything else passes unchanged.
    """
    command, _, argument = text.strip().partition(" ")
    # "/start@ShopBot CODE": Telegram names the bot after the command in group-style input.
    command = command.split("@", 1)[0].lower()
    # Letters, digits and dashes only ("abcd-2345", "ABCD 2345"): the store normalises them.
    code = "".join(ch for ch in argument if ch.isalnum() or ch == "-")[:MAX_LINK_CODE]
    if command == START_COMMAND:
        return _link_intent(code) if code else GREETING_PAYLOAD
    if command == LINK_COMMAND:
        return _link_intent(code) if code else f"/{LINK_INTENT}"
    if command == UNLINK_COMMAND:
        return f"/{UNLINK_INTENT}"
    return text


def _link_intent(code: str) -> str:
    return f"/{LINK_INTENT}{json.dumps({LINK_CODE_ENTITY: code})}"


def payload_digest(payload: str) -> str:
    """The short callback_data standing for a payload too long for Telegram."""
    return DIGEST_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:32]


def callback_data_for(payload: str) -> str:
    """A button's callback_data: its payload, or its digest when over 64 bytes."""
    return payload if len(payload.encode()) <= MAX_CALLBACK_DATA else payload_digest(payload)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a reply into messages Telegram accepts: at paragraphs, lines, spaces, then hard."""
    parts: list[str] = []
    for paragraph in text.strip().split("\n\n"):
        rest = paragraph.strip()
        while len(rest) > limit:
            cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
            cut = cut if cut > 0 else limit
            parts.append(rest[:cut].rstrip())
            rest = rest[cut:].lstrip()
        if rest:
            parts.append(rest)
    return parts


class ConciergeTelegramOutput(TelegramOutput):
    """Rasa's Telegram output with the Bot API address, sender ids and length limits."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, access_token: str, api_url: str = DEFAULT_API_URL) -> None:
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_url))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text):
            await self.send_message(chat_id_of(recipient_id), part)

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = "inline",
        **kwargs: Any,
    ) -> None:
        # The keyboard goes with the last part, where the question is.
        *before, last = split_text(text) or [""]
        for part in before:
            await self.send_message(chat_id_of(recipient_id), part)
        fitted = [{**b, "payload": callback_data_for(str(b.get("payload", "")))} for b in buttons]
        await super().send_text_with_buttons(
            chat_id_of(recipient_id), last, fitted, button_type=button_type, **kwargs
        )

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_photo(chat_id_of(recipient_id), image)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await super().send_custom_json(chat_id_of(recipient_id), json_message, **kwargs)


class ConciergeTelegramInput(TelegramInput):
    """Telegram at ``/webhooks/telegram/webhook``, refusing updates without the secret."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        access_token: str,
        verify: str,
        webhook_url: str,
        secret_token: str,
        api_url: str = DEFAULT_API_URL,
        handoff_url: str = "",
        handoff_secret: str = "",
    ) -> None:
        missing = [
            name
            for name, value in (
                ("access_token", access_token),
                ("verify", verify),
                ("webhook_url", webhook_url),
                ("secret_token", secret_token),
            )
            if not value or not str(value).strip()
        ]
        if missing:
            # An open webhook would let anyone post updates as any Telegram user.
            raise TelegramConfigurationError(
                f"The telegram channel needs {', '.join(missing)}: set TELEGRAM_BOT_TOKEN, "
                "TELEGRAM_BOT_NAME, TELEGRAM_WEBHOOK_URL and TELEGRAM_SECRET_TOKEN "
                "(concierge/stack.py writes them into Rasa's credentials)."
            )
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        self.secret_token = secret_token
        self.api_url = api_url or DEFAULT_API_URL
        self.handoff_url = handoff_url
        self.handoff_secret = handoff_secret

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ConciergeTelegramInput:
        credentials = credentials or {}
        return cls(
            access_token=str(credentials.get("access_token") or ""),
            verify=str(credentials.get("verify") or ""),
            webhook_url=str(credentials.get("webhook_url") or ""),
            secret_token=str(credentials.get("secret_token") or ""),
            api_url=str(credentials.get("api_url") or DEFAULT_API_URL),
            handoff_url=str(credentials.get("handoff_url") or ""),
            handoff_secret=str(credentials.get("handoff_secret") or ""),
        )

    def get_output_channel(self) -> ConciergeTelegramOutput:
        """The output channel; the first call registers the webhook with its secret."""
        if not getattr(self, "_webhook_registered", False):
            # Rasa builds the blueprints before its event loop runs, as upstream does.
            asyncio.run(self._register_webhook())
            self._webhook_registered = True
        return ConciergeTelegramOutput(self.access_token, self.api_url)

    async def _register_webhook(self) -> None:
        bot = ConciergeTelegramOutput(self.access_token, self.api_url)
        try:
            me = await bot.get_me()
            if me.username != self.verify:
                raise TelegramConfigurationError(
                    f"TELEGRAM_BOT_NAME is {self.verify!r} but the token belongs to "
                    f"{me.username!r}: set the bot's username as BotFather shows it."
                )
            # aiogram 2.15 predates secret_token, so the method is called by name.
            await bot.request(
                "setWebhook",
                {
                    "url": self.webhook_url,
                    "secret_token": self.secret_token,
                    "allowed_updates": '["message", "edited_message", "callback_query"]',
                },
            )
        except TelegramAPIError as error:
            raise RasaException(f"Failed to set the Telegram webhook: {error}") from error
        finally:
            # The HTTP session only (aiogram's close() warns of the Bot API's close).
            await bot.session.close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("concierge_telegram_webhook", __name__)
        out_channel = self.get_output_channel()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._from_telegram(request):
                logger.warning("Refused a Telegram update without the secret from %s.", request.ip)
                return response.json({"error": "forbidden"}, status=403)
            try:
                update = Update(**(request.json or {}))
            except Exception:
                return response.json({"error": "the body must be a Telegram update"}, status=400)
            turn = await self._turn_of(update, out_channel, request)
            if turn is None:
                return response.text("ignored")
            sender_id, text = turn
            if await self._kept_for_agent(sender_id, text):
                return response.text("success")
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        out_channel,
                        sender_id,
                        input_channel=CHANNEL,
                        metadata={"channel": CHANNEL},
                    )
                )
            except Exception as exc:  # the processor already logged the cause
                # Ids and the error's type only: customers type names and addresses.
                logger.error("Telegram turn of %s failed: %s", sender_id, type(exc).__name__)
                await out_channel.send_text_message(sender_id, TURN_FAILED_REPLY)
            # 200 either way: Telegram would redeliver the update, and repeat the turn.
            return response.text("success")

        return webhook

    async def _kept_for_agent(self, sender_id: str, text: str) -> bool:
        """True when an agent holds the conversation and the console kept ``text`` for them."""
        if not self.handoff_url:
            return False
        try:
            async with (
                aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=HANDOFF_CHECK_SECONDS)
                ) as http,
                http.post(
                    self.handoff_url,
                    json={"sender_id": sender_id, "text": text},
                    headers={CHANNEL_SECRET_HEADER: self.handoff_secret},
                ) as answer,
            ):
                if answer.status != 200:
                    raise ValueError(f"HTTP {answer.status}")
                held = (await answer.json()).get("held")
        except (asyncio.TimeoutError, aiohttp.ClientError, ValueError, AttributeError) as exc:
            # The customer is answered by the bot rather than by nobody.
            logger.warning(
                "The console did not say whether an agent holds %s (%s); the bot answers.",
                sender_id,
                exc,
            )
            return False
        return held is True

    def _from_telegram(self, request: Request) -> bool:
        sent = request.headers.get(SECRET_HEADER, "").encode()
        return hmac.compare_digest(sent, self.secret_token.encode())

    async def _turn_of(
        self, update: Update, out_channel: ConciergeTelegramOutput, request: Request
    ) -> tuple[str, str] | None:
        """The sender id and text of an update, or None for one the bot does not answer."""
        if update.callback_query is not None:
            query = update.callback_query
            await out_channel.answer_callback_query(query.id)
            if query.message is None or query.message.chat.type != "private":
                return None
            sender_id = sender_id_for(query.from_user.id)
            data = query.data or ""
            if data.startswith(DIGEST_PREFIX):
                resolved = await _offered_payload(request, sender_id, data)
                if resolved is None:
                    return None
                data = resolved
            return sender_id, data
        message = update.message or update.edited_message
        if message is None or message.chat.type != "private" or message.from_user is None:
            return None
        if message.text is None:
            return None
        return sender_id_for(message.from_user.id), command_text(message.text)


async def _offered_payload(request: Request, sender_id: str, digest: str) -> str | None:
    """The payload of a button the bot offered this sender whose digest is ``digest``."""
    agent = getattr(getattr(request.app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    tracker = await store.retrieve(sender_id)
    if tracker is None:
        return None
    for payload in _offered_payloads(reversed(tracker.events)):
        if payload_digest(payload) == digest:
            return payload
    logger.warning("A Telegram button of %s matched no button the bot offered.", sender_id)
    return None


def _offered_payloads(events: Iterable[Any]) -> Iterable[str]:
    for event in events:
        for button in (getattr(event, "data", None) or {}).get("buttons") or []:
            yield str(button.get("payload", ""))
