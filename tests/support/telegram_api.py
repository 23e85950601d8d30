"""A local stand-in of Telegram's Bot API that records what the bot sends.

Telegram's servers cannot be reached from the test machines, so Rasa's Telegram channel is
pointed at this server instead (``TELEGRAM_API_URL``). It answers the documented methods the
channel uses (``getMe``, ``setWebhook``, ``sendMessage``, ``sendPhoto``,
``answerCallbackQuery``) with the documented envelope ``{"ok": true, "result": ...}``, refuses
another bot's token with 401 and an unknown method with 404 as Telegram does, and keeps
every call in :attr:`TelegramAPI.calls`. It runs aiohttp in a thread of its own, on
127.0.0.1 and a free port, so synchronous tests can use it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from concierge.settings import Settings
from tests.support.servers import free_port

BOT_ID = 7000001


@dataclass(frozen=True)
class Call:
    """One Bot API request: the method and its parameters (JSON values decoded)."""

    method: str
    params: dict[str, Any]


def _decoded(value: Any) -> Any:
    # aiogram sends form fields; reply_markup and lists are JSON inside them.
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class TelegramAPI:
    """The stand-in; ``with TelegramAPI(token, "shop_bot") as api:`` runs it."""

    def __init__(self, token: str, bot_name: str) -> None:
        self.token = token
        self.bot_name = bot_name
        self.port = free_port()
        self.calls: list[Call] = []
        # Chats whose user blocked the bot: sendMessage answers 403, as Telegram does.
        self.blocked: set[int] = set()
        # Chats answered 429 (too many requests), for retry-later tests.
        self.throttled: set[int] = set()
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
            ]

    def sent_texts(self, chat_id: int) -> list[str]:
        """The texts of every message sent to ``chat_id``, in order."""
        return [str(c.params.get("text", "")) for c in self.calls_of("sendMessage", chat_id)]

    # --- the Bot API -------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        if request.content_type == "application/json":
            raw = await request.json()
        else:
            raw = dict(await request.post())
        params = {k: _decoded(v) for k, v in raw.items()}
        refusal = self._refusal(method, params)
        if refusal is not None:
            with self._lock:
                self.calls.append(Call(method, params))
            return web.json_response(refusal, status=refusal["error_code"])
        answer = self._answer(method, params)
        if answer is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        with self._lock:
            self.calls.append(Call(method, params))
        return web.json_response({"ok": True, "result": answer})

    def _refusal(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if method not in ("sendMessage", "sendPhoto"):
            return None
        chat = int(params.get("chat_id", 0))
        if chat in self.blocked:
            return {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        if chat in self.throttled:
            return {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 5",
                "parameters": {"retry_after": 5},
            }
        return None

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Concierge",
                "username": self.bot_name,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in ("setWebhook", "answerCallbackQuery", "deleteWebhook"):
            return True
        if method in ("sendMessage", "sendPhoto"):
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Concierge"},
                "chat": {"id": int(params["chat_id"]), "type": "private"},
            }
            if "text" in params:
                message["text"] = params["text"]
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        return None

    # --- running -------------------------------------------------------------------------

    def __enter__(self) -> TelegramAPI:
        self._thread = threading.Thread(target=self._serve, name="telegram-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the Telegram stand-in did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(15)

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()


def private_chat_message(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """The update Telegram posts when ``user_id`` writes ``text`` to the bot."""
    user = {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "from": user,
            "chat": {"id": user_id, "type": "private", "first_name": "Test"},
            "text": text,
            **(
                {"entities": [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]}
                if text.startswith("/")
                else {}
            ),
        },
    }


def button_press(
    update_id: int, user_id: int, data: str, message: dict[str, Any]
) -> dict[str, Any]:
    """The update Telegram posts when ``user_id`` presses a button of the bot's ``message``."""
    user = {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "en"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}",
            "from": user,
            "message": message,
            "chat_instance": f"ci-{user_id}",
            "data": data,
        },
    }


TELEGRAM_TEST_TOKEN = "7000001:stand-in-token-for-tests"
TELEGRAM_TEST_BOT = "concierge_test_bot"


def with_telegram(settings: Settings, api: TelegramAPI) -> Settings:
    """``settings`` with the Telegram channel on, reporting to the stand-in ``api``."""
    return replace(
        settings,
        telegram_token=api.token,
        telegram_bot_name=api.bot_name,
        telegram_webhook_url="https://chat.shop.test/webhooks/telegram/webhook",
        telegram_api_url=api.url,
    )
