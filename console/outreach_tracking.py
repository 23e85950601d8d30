"""Opens and clicks of outreach e-mail: the open pixel and the signed redirect to the shop.

``GET /outreach/open/<token>`` answers a 1x1 transparent GIF and records the first open;
``GET /outreach/click/<token>?to=/path`` records the first click and redirects to that
path on the shop's own site. The token is the proof (``promotions.outreach_links.
TrackingSigner``, a key of its own derived from ``CONSOLE_SECRET``). A forged token, a path
other than the one signed, or a message that does not exist gets 404 and nothing is
recorded.

Never an open redirect: the token signs only a path, and the address in front of it is
this shop's, from the settings (the demo shop in demo mode, else ``CONCIERGE_PUBLIC_URL``,
else the console's own address).
"""

from __future__ import annotations

import asyncio
import base64
import logging

from aiohttp import web

from concierge.settings import Settings
from console.keys import promotion_sessions_key, settings_key
from promotions.outreach_links import TrackedEvent, TrackingKind, TrackingSigner
from promotions.outreach_tracking import record
from store.db import utcnow

log = logging.getLogger(__name__)

# The smallest transparent GIF (43 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private"}


def shop_url(settings: Settings) -> str:
    """The shop's own address, the only place a tracked click may lead."""
    if settings.demo:
        return settings.demo_shop_url
    return settings.public_url or settings.console_url


def _verified(request: web.Request, path: str = "") -> TrackedEvent | None:
    secret = request.app[settings_key].console_secret
    if len(secret.encode()) < 16:
        return None  # no signing secret configured: no link can be genuine
    return TrackingSigner(secret).verify(request.match_info["token"], path)


async def _recorded(request: web.Request, event: TrackedEvent | None, kind: TrackingKind) -> bool:
    if event is None or event.kind != kind:
        return False
    sessions = request.app[promotion_sessions_key]
    known = await asyncio.to_thread(record, sessions, event, utcnow())
    log.info("outreach %s of message %s%s", kind, event.message_id, "" if known else ": unknown")
    return known


async def open_pixel(request: web.Request) -> web.Response:
    """The open pixel: records the message's first open."""
    if not await _recorded(request, _verified(request), TrackingKind.OPEN):
        raise web.HTTPNotFound(text="No such message.")
    return web.Response(body=PIXEL, content_type="image/gif", headers=NO_STORE)


async def click(request: web.Request) -> web.Response:
    """The tracked link: records the first click, then goes to the signed path on the shop."""
    event = _verified(request, request.query.get("to", ""))
    if not await _recorded(request, event, TrackingKind.CLICK):
        raise web.HTTPNotFound(text="This link is not valid.")
    assert event is not None  # _recorded is False without one
    target = shop_url(request.app[settings_key]).rstrip("/") + event.path
    raise web.HTTPFound(target, headers=NO_STORE)
