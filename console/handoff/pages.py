"""Live handoff pages: the queue, taking a conversation, talking to the customer, handing back.

While a handoff is ``taken`` the customer's chat relay (console/chat.py) stores their
messages here instead of sending them to Rasa; the agent's replies reach the customer on
the channel they wrote from (``console.handoff.delivery``): their open web chat, on
whichever console instance holds it, or their Telegram chat through the Bot API.
The live page polls for new customer messages once a second (no extra socket to keep
authenticated). An agent's message is stored before it is pushed: when the push cannot
reach another instance (Redis down), or Telegram does not take it, the agent is told, and
the message stays in the record.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console.chat.wording import BACK_TO_BOT_TEXT, agent_joined
from console.handoff.delivery import TELEGRAM, TelegramNotDelivered, channel_of
from console.handoff.desk import MAX_AGENT_MESSAGE_CHARS, HandoffError, HandoffItem, LiveMessage
from console.keys import customer_channels_key, handoff_desk_key, staff_directory_key
from console.shared.errors import PushUnavailable
from console.staff.auth import current, requires, see_other
from store.handoff_queue import UNKNOWN

HANDED_BACK_UNTOLD_TEXT = (
    "Handed back to the bot, but the customer's chat could not be told (the console cannot "
    "reach its shared state right now). The bot answers their next message."
)
HANDED_BACK_UNTOLD_ON_TELEGRAM = (
    "Handed back to the bot, but the customer's Telegram chat could not be told: {reason}"
)


def _handoff_id(request: web.Request) -> int:
    return int(request.match_info["handoff_id"])


def _agent(request: web.Request) -> Any:
    account = current(request).account
    assert account is not None  # guaranteed by @requires
    return account


async def _load(request: web.Request) -> HandoffItem:
    item = await asyncio.to_thread(request.app[handoff_desk_key].get, _handoff_id(request))
    if item is None:
        raise web.HTTPNotFound(text=f"There is no handoff {_handoff_id(request)}.")
    return item


@requires("agent")
async def queue_page(request: web.Request) -> web.StreamResponse:
    """Customers waiting for a person, and conversations agents hold now."""
    return await _render_queue(request)


async def _render_queue(request: web.Request, error: str | None = None) -> web.StreamResponse:
    queue = await asyncio.to_thread(request.app[handoff_desk_key].queue)
    connected = await request.app[customer_channels_key].reachable(i.sender_id for i in queue)
    context = {
        "queue": queue,
        "connected": connected,
        "telegram": {i.sender_id for i in queue if channel_of(i.sender_id) == TELEGRAM},
        "error": error,
    }
    status = 409 if error else 200
    return aiohttp_jinja2.render_template("staff/handoffs.html", request, context, status=status)


async def _audit(
    request: web.Request, actor: str, action: str, handoff_id: int, sender_id: str
) -> None:
    """Record what an agent did with a handoff in the audit log (ids, no message text)."""
    await asyncio.to_thread(
        request.app[staff_directory_key].record,
        actor,
        action,
        f"handoff {handoff_id}",
        {"sender_id": sender_id},
    )


@requires("agent")
async def take(request: web.Request) -> web.StreamResponse:
    """Take a waiting conversation; the bot stops answering it and the customer is told."""
    agent = _agent(request)
    desk = request.app[handoff_desk_key]
    try:
        item = await asyncio.to_thread(desk.take, _handoff_id(request), agent.email)
    except HandoffError as exc:
        if exc.code == UNKNOWN:
            raise web.HTTPNotFound(text=str(exc)) from exc
        return await _render_queue(request, error=str(exc))
    await _audit(request, agent.email, "handoff_taken", item.id, item.sender_id)
    joined = agent_joined(agent.display_name)
    await _say(request, item, joined, agent)
    return see_other(f"/staff/handoffs/{item.id}")


@requires("agent")
async def live_page(request: web.Request) -> web.StreamResponse:
    """The live conversation: what was said so far, the composer and the hand-back button."""
    item = await _load(request)
    history = await asyncio.to_thread(request.app[handoff_desk_key].messages, item.id)
    agent = _agent(request)
    context = {
        "item": item,
        "history": history,
        "mine": item.status == "taken" and (item.agent == agent.email or "admin" in agent.roles),
        "connected": await _connected(request, item),
        "channel": channel_of(item.sender_id),
        "max_chars": MAX_AGENT_MESSAGE_CHARS,
    }
    return aiohttp_jinja2.render_template("staff/handoff_live.html", request, context)


@requires("agent")
async def messages(request: web.Request) -> web.StreamResponse:
    """New live messages after ``?after=<id>`` and the handoff's status, as JSON."""
    item = await _load(request)
    try:
        after = max(0, int(request.query.get("after", "0")))
    except ValueError:
        after = 0
    found = await asyncio.to_thread(request.app[handoff_desk_key].messages, item.id, after)
    return web.json_response(
        {
            "status": item.status,
            "agent": item.agent,
            "connected": await _connected(request, item),
            "messages": [_message_json(m) for m in found],
        }
    )


@requires("agent")
async def reply(request: web.Request) -> web.StreamResponse:
    """Send the agent's reply to the customer's open chat (form post or JSON)."""
    item = await _load(request)
    agent = _agent(request)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        text = body.get("text") if isinstance(body, dict) else None
    else:
        text = (await request.post()).get("text")
    problem = _reply_problem(item, agent, text)
    if problem:
        return web.json_response({"error": problem}, status=409 if "held" in problem else 400)
    assert isinstance(text, str)
    try:
        message, delivered = await _say(request, item, text.strip(), agent)
    except _NotSent as not_sent:
        # JSON: the page shows the error and the kept message. A form post gets the 503.
        if request.content_type != "application/json":
            raise not_sent.cause from None
        body = {"error": str(not_sent.cause), "message": _message_json(not_sent.message)}
        return web.json_response(body, status=503)
    if request.content_type != "application/json":
        return see_other(f"/staff/handoffs/{item.id}")
    return web.json_response({"message": _message_json(message), "delivered": delivered})


def _reply_problem(item: HandoffItem, agent: Any, text: object) -> str | None:
    if item.status != "taken":
        return "This conversation is not held by an agent any more; take it from the queue."
    if item.agent != agent.email and "admin" not in agent.roles:
        return f"This conversation is held by {item.agent}, not by you."
    if not isinstance(text, str) or not text.strip():
        return "Type a message before sending."
    if len(text) > MAX_AGENT_MESSAGE_CHARS:
        return f"A message can have at most {MAX_AGENT_MESSAGE_CHARS} characters."
    return None


@requires("agent")
async def hand_back(request: web.Request) -> web.StreamResponse:
    """Close the handoff: the bot answers the customer again."""
    agent = _agent(request)
    try:
        item = await asyncio.to_thread(
            request.app[handoff_desk_key].hand_back,
            _handoff_id(request),
            agent.email,
            is_admin="admin" in agent.roles,
        )
    except HandoffError as exc:
        if exc.code == UNKNOWN:
            raise web.HTTPNotFound(text=str(exc)) from exc
        return await _render_queue(request, error=str(exc))
    await _audit(request, agent.email, "handoff_closed", item.id, item.sender_id)
    try:
        await request.app[customer_channels_key].tell(item.sender_id, BACK_TO_BOT_TEXT)
    except TelegramNotDelivered as exc:
        error = HANDED_BACK_UNTOLD_ON_TELEGRAM.format(reason=exc)
        return await _render_queue(request, error=error)
    except PushUnavailable:
        return await _render_queue(request, error=HANDED_BACK_UNTOLD_TEXT)
    return see_other("/staff/handoffs")


async def _connected(request: web.Request, item: HandoffItem) -> bool:
    return bool(await request.app[customer_channels_key].reachable([item.sender_id]))


class _NotSent(PushUnavailable):
    """The message is stored but could not be delivered (other instances or Telegram).

    Uncaught (taking a conversation), the outage middleware answers 503 with its text.
    """

    def __init__(self, message: LiveMessage, cause: PushUnavailable) -> None:
        super().__init__(str(cause))
        self.message = message
        self.cause = cause


async def _say(
    request: web.Request, item: HandoffItem, text: str, agent: Any
) -> tuple[LiveMessage, bool]:
    message = await asyncio.to_thread(
        request.app[handoff_desk_key].add_message, item.id, "agent", text, agent.email
    )
    try:
        delivered = await request.app[customer_channels_key].tell(
            item.sender_id, text, agent.display_name
        )
    except PushUnavailable as exc:
        raise _NotSent(message, exc) from exc
    return message, delivered


def _message_json(message: LiveMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": message.author,
        "agent": message.agent_email,
        "text": message.text,
        "at": message.at.isoformat(timespec="seconds"),
    }
