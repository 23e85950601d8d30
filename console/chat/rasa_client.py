"""A thin client for Rasa's REST input channel (the project's ``concierge`` channel).

The channel behaves like Rasa's built-in ``rest`` channel: one POST per customer
message, answered with the list of bot messages produced for that turn. Everything
that can go wrong on the way (refused connection, timeout, 5xx, a body that is not a
list of messages) surfaces as one exception, :class:`RasaUnavailable`, so callers have
a single failure path to turn into a friendly notice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

# The lead's custom input channel is registered under the name "concierge".
WEBHOOK_PATH = "/webhooks/concierge/webhook"
# The header carrying settings.channel_secret; bot/channels/concierge_rest.py checks it
# (the two environments share no code, so the name is written on both sides).
CHANNEL_SECRET_HEADER = "X-Concierge-Channel-Secret"
DEFAULT_TIMEOUT_SECONDS = 30.0


class RasaUnavailable(Exception):
    """Rasa could not be reached or did not answer with a list of bot messages."""


@dataclass(frozen=True)
class Button:
    """A quick reply: ``title`` is shown, ``payload`` is sent back when clicked."""

    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    """One message the assistant sent in reply to a customer turn."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The message as the chat page's JavaScript expects it."""
        return {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "image": self.image,
            "custom": self.custom,
        }


class TurnObserver(Protocol):
    """Told about every turn the client relays (the console's metrics implement it)."""

    def turn_relayed(self) -> None: ...

    def turn_answered(self, seconds: float, replies: int) -> None: ...

    def turn_failed(self) -> None: ...


class RasaClient:
    """Sends customer messages to Rasa and parses the replies."""

    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        observer: TurnObserver | None = None,
        *,
        channel_secret: str = "",
    ) -> None:
        """``observer`` (optional) hears of each turn, so metering needs no second client.

        ``channel_secret`` proves to the channel that the turn comes from the console.
        """
        self.webhook_url = base_url.rstrip("/") + WEBHOOK_PATH
        self._headers = {CHANNEL_SECRET_HEADER: channel_secret}
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._observer = observer

    async def send(self, sender_id: str, text: str, *, channel: str = "web") -> list[BotMessage]:
        """Relay one customer message and return the bot's replies for that turn."""
        if self._observer is None:
            return await self._send(sender_id, text, channel)
        self._observer.turn_relayed()
        started = time.perf_counter()
        try:
            replies = await self._send(sender_id, text, channel)
        except RasaUnavailable:
            self._observer.turn_failed()
            raise
        self._observer.turn_answered(time.perf_counter() - started, len(replies))
        return replies

    async def _send(self, sender_id: str, text: str, channel: str) -> list[BotMessage]:
        body = {"sender": sender_id, "message": text, "metadata": {"channel": channel}}
        try:
            async with self._session.post(
                self.webhook_url, json=body, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(
                        f"Rasa answered HTTP {response.status} at {self.webhook_url}"
                    )
                raw = await response.read()
        except TimeoutError as exc:
            raise RasaUnavailable(f"Rasa did not answer in time at {self.webhook_url}") from exc
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(f"cannot reach Rasa at {self.webhook_url}: {exc}") from exc
        return parse_replies(raw)


def parse_replies(raw: bytes) -> list[BotMessage]:
    """Parse a REST channel response body into bot messages."""
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RasaUnavailable("Rasa answered with a body that is not JSON") from exc
    if not isinstance(payload, list):
        raise RasaUnavailable("Rasa answered with JSON that is not a list of messages")
    messages = [_parse_message(item) for item in payload if isinstance(item, dict)]
    return [m for m in messages if m.text or m.buttons or m.image or m.custom]


def _parse_message(item: dict[str, Any]) -> BotMessage:
    text = item.get("text")
    image = item.get("image")
    custom = item.get("custom")
    # Rasa emits quick replies as "buttons"; some channels' templates use "quick_replies".
    raw_buttons = item.get("buttons") or item.get("quick_replies") or []
    return BotMessage(
        text=text if isinstance(text, str) else None,
        buttons=tuple(_parse_buttons(raw_buttons)),
        image=image if isinstance(image, str) and _is_web_url(image) else None,
        custom=custom if isinstance(custom, dict) else None,
    )


def _parse_buttons(raw: Any) -> list[Button]:
    if not isinstance(raw, list):
        return []
    buttons = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        title, payload = entry.get("title"), entry.get("payload")
        if isinstance(title, str) and title.strip():
            # A button without a payload sends its title, as Rasa's own widgets do.
            buttons.append(
                Button(
                    title=title, payload=payload if isinstance(payload, str) and payload else title
                )
            )
    return buttons


def _is_web_url(value: str) -> bool:
    # Only http(s) and same-site paths become <img src>; never javascript: or data:.
    lowered = value.strip().lower()
    return lowered.startswith(("http://", "https://", "/")) and not lowered.startswith("//")
