"""Link codes for the shop's server: the one-time code its account page shows a customer.

The shop's server knows which customer is signed in; it asks here for a code and shows it
(with the Telegram deep link when the bot's name is configured). The customer sends it to
the bot, whose action redeems it through the same ``AccountLinking`` store call. The code
is a secret until redeemed: it is never logged (the call log names the route template and
the key only) and the answer says ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Literal

from aiohttp import web

from api.problems import ApiProblem
from api.schemas import LinkCode
from api.typedefs import LINKING, SETTINGS
from store.account_linking import telegram_deep_link
from store.errors import CustomerNotFound

CHANNEL: Literal["telegram"] = "telegram"
# A code shown once must not sit in a proxy's or a browser's cache.
NO_STORE = {"Cache-Control": "no-store"}


async def issue_link_code(request: web.Request, customer_id: int) -> web.Response:
    """A fresh code for the customer (their unused ones stop working), or a 404 problem."""
    try:
        issued = await asyncio.to_thread(request.app[LINKING].issue_code, customer_id, CHANNEL)
    except CustomerNotFound:
        raise ApiProblem("not-found", f"There is no customer with id {customer_id}.") from None
    bot = request.app[SETTINGS].telegram_bot_name
    answer = LinkCode(
        customer_id=issued.customer_id,
        code=issued.code,
        channel=CHANNEL,
        # The store keeps naive UTC; the answer says so.
        expires_at=datetime.fromisoformat(issued.expires_at_iso).replace(tzinfo=UTC),
        deep_link=telegram_deep_link(bot, issued.code) if bot else None,
    )
    return web.json_response(text=answer.model_dump_json(), headers=NO_STORE)
