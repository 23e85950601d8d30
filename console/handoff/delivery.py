"""Where an agent's words go: the customer's open web chat, or their Telegram chat.

A conversation's channel is in its sender id: Rasa's Telegram channel names a Telegram
user's conversation ``telegram-<user id>`` (bot/channels/telegram.py), and in a private
chat that user id is the chat id, so the reply goes to the Bot API's ``sendMessage`` with
the sender the outreach already uses (``promotions.outreach_telegram``). Every other sender
id is a web chat, reached through :class:`~console.chat.hub.ChatHub`.

A message Telegram does not take raises :class:`TelegramNotDelivered`, a kind of
:class:`PushUnavailable`, so the handoff pages treat it as they treat a web chat they
cannot reach: the message stays in the record and the agent reads why it did not go.
"""

from __future__ import annotations

from collections.abc import Iterable

from concierge.settings import Settings
from console.chat.hub import ChatHub
from console.shared.errors import PushUnavailable
from promotions.outreach_email import Delivery, DeliveryResult
from promotions.outreach_telegram import TelegramSender, chat_id_of, send_message_body

TELEGRAM = "telegram"
WEB = "web"
NOT_CONFIGURED_TEXT = (
    "This customer writes from Telegram, but this console has no Telegram bot token "
    "(TELEGRAM_BOT_TOKEN), so it cannot answer there. Your message is kept in this "
    "conversation."
)


class TelegramNotDelivered(PushUnavailable):
    """Telegram did not take an agent's message; the text says why and what to do."""


def channel_of(sender_id: str) -> str:
    """The channel a conversation came through: ``telegram`` or ``web``."""
    return TELEGRAM if chat_id_of(sender_id) is not None else WEB


def _refusal_text(result: DeliveryResult) -> str:
    kept = "Your message is kept in this conversation"
    if result.outcome is Delivery.BOUNCED:
        return (
            f"Telegram refused the message ({result.detail}): the customer may have blocked "
            f"the bot or deleted the chat. {kept}; they cannot be reached on Telegram."
        )
    if result.outcome is Delivery.UNREACHABLE:
        return f"The console could not reach Telegram's Bot API ({result.detail}). {kept}; try again shortly."
    return f"Telegram did not take the message ({result.detail}). {kept}; try again shortly."


class CustomerChannels:
    """Tells a handed-off customer what an agent says, on the channel they wrote from."""

    def __init__(self, hub: ChatHub, telegram: TelegramSender | None) -> None:
        self.hub = hub
        self.telegram = telegram

    @classmethod
    def from_settings(cls, hub: ChatHub, settings: Settings) -> CustomerChannels:
        """Telegram on when the console has the bot's token (the settings Rasa's channel uses)."""
        telegram = (
            TelegramSender(settings.telegram_token, settings.telegram_api_url)
            if settings.telegram_enabled
            else None
        )
        return cls(hub, telegram)

    async def tell(self, sender_id: str, text: str, agent_name: str | None = None) -> bool:
        """Deliver ``text``; False when a web customer has no chat open right now.

        Raises :class:`PushUnavailable` (or :class:`TelegramNotDelivered`) when it could not
        be delivered and the agent must know.
        """
        chat_id = chat_id_of(sender_id)
        if chat_id is None:
            return await self.hub.push_to_customer(sender_id, {"text": text, "name": agent_name})
        if self.telegram is None:
            raise TelegramNotDelivered(NOT_CONFIGURED_TEXT)
        try:
            body = send_message_body(chat_id, text, ())
        except ValueError as exc:
            raise TelegramNotDelivered(f"Telegram cannot take this message: {exc}.") from exc
        result = await self.telegram.send(body)
        if result.outcome is not Delivery.SENT:
            raise TelegramNotDelivered(_refusal_text(result))
        return True

    async def reachable(self, sender_ids: Iterable[str]) -> set[str]:
        """Which of ``sender_ids`` a message reaches now: open web chats, and Telegram chats."""
        wanted = list(sender_ids)
        telegram = {s for s in wanted if channel_of(s) == TELEGRAM and self.telegram is not None}
        web = [s for s in wanted if channel_of(s) == WEB]
        return telegram | await self.hub.connected_anywhere(web)
