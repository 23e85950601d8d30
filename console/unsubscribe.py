"""One-click unsubscribe from outreach e-mail (RFC 8058): ``GET`` and ``POST /unsubscribe/<token>``.

Mail clients that honour ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` POST to the
link with no cookies and no page in between; a person who opens the link in a browser gets
a small page whose button POSTs the same. Either way ``email_opt_in`` turns off at once, so
the next outreach run sends nothing to them (and anything still queued is skipped).

No CSRF token, by design: the signed token in the URL is the proof (``promotions.
outreach_links``). Only the holder of the e-mail has it, there is no session or cookie a
forged cross-site request could ride on, and the one thing the request can do is turn
e-mail off for the customer the token names. A GET never changes anything, so link
scanners and previews that fetch the URL do not unsubscribe anyone.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp_jinja2
from aiohttp import web

from console.keys import promotion_sessions_key, settings_key
from promotions.outreach_links import UnsubscribeRequest, UnsubscribeSigner
from promotions.outreach_outbox import stop_email

log = logging.getLogger(__name__)
TEMPLATE = "unsubscribe.html"


def _verified(request: web.Request) -> UnsubscribeRequest | None:
    secret = request.app[settings_key].console_secret
    if len(secret.encode()) < 16:
        return None  # no signing secret configured: no link can be genuine
    return UnsubscribeSigner(secret).verify(request.match_info["token"])


def _invalid(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template(
        TEMPLATE, request, {"state": "invalid", "action": ""}, status=404
    )


async def unsubscribe_page(request: web.Request) -> web.Response:
    """The page with the button (changes nothing by itself)."""
    if _verified(request) is None:
        return _invalid(request)
    return aiohttp_jinja2.render_template(
        TEMPLATE, request, {"state": "ask", "action": request.path}
    )


async def unsubscribe(request: web.Request) -> web.Response:
    """Turn the customer's e-mail opt-in off now (one-click POST, or the page's button)."""
    found = _verified(request)
    if found is None:
        return _invalid(request)
    sessions = request.app[promotion_sessions_key]
    known = await asyncio.to_thread(stop_email, sessions, found.customer_id)
    # Ids only in the log. An erased customer gets the same answer: nothing left to stop.
    log.info(
        "unsubscribe from e-mail: customer %s, campaign %s, %s",
        found.customer_id,
        found.campaign_key,
        "done" if known else "no such customer",
    )
    return aiohttp_jinja2.render_template(TEMPLATE, request, {"state": "done", "action": ""})
