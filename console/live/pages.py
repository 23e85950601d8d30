"""``/staff/live/summary``: what the handoff queue and conversations list show without a reload.

``?since=<epoch seconds>`` (the moment the page was drawn) asks what happened since then.
With a broker consumer whose record covers ``since``, the answer comes from memory and
the request may wait: ``&wait=<seconds>&seen=<conversations>,<handoffs>`` holds it until
those counts change (a long poll, so a page learns of a new conversation within a
moment without a socket to authenticate). Otherwise the store answers at once and the
page asks again a few seconds later. ``?source=broker`` or ``?source=store`` asks one
source whatever the coverage, to compare them (the answer says if it is ``complete``).
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from console.keys import live_feed_key, store_live_summary_key
from console.live.feed import LiveFeed, LiveSummary, Source
from console.staff.auth import requires

MAX_WAIT_SECONDS = 25.0
# Pages poll this often (milliseconds) when the store answers.
STORE_POLL_MS = 5000


def live_since() -> float:
    """The moment a page is drawn, which its live feed counts from (a template global)."""
    return round(time.time(), 3)


@requires("agent")
async def live_summary(request: web.Request) -> web.StreamResponse:
    """New conversations and handoff requests since ``?since``, as JSON."""
    since = _number(request, "since", default=time.time())
    wait = min(max(_number(request, "wait", default=0.0), 0.0), MAX_WAIT_SECONDS)
    wanted = request.query.get("source", "")
    if wanted not in ("", Source.BROKER, Source.STORE):
        raise web.HTTPBadRequest(text="source must be broker or store (or left out).")
    feed = request.app.get(live_feed_key)
    summary = await _summary(request, feed, since, wanted)
    if summary.source == Source.BROKER and feed is not None and wait and not wanted:
        seen = _seen(request)
        deadline = time.monotonic() + wait
        while seen == summary.counts() and feed.covers(since):
            left = deadline - time.monotonic()
            if left <= 0 or not await feed.wait_for_news(left):
                break
            summary = feed.summary(since)
    body = summary.as_json()
    body["broker"] = feed.status() if feed is not None else None
    body["poll_ms"] = 0 if summary.source == Source.BROKER else STORE_POLL_MS
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def _summary(
    request: web.Request, feed: LiveFeed | None, since: float, wanted: str
) -> LiveSummary:
    if feed is not None and (wanted == Source.BROKER or (not wanted and feed.covers(since))):
        return feed.summary(since)
    if wanted == Source.BROKER:
        raise web.HTTPNotFound(text="This console has no broker consumer (CONCIERGE_BROKER_URL).")
    store = request.app[store_live_summary_key]
    return await asyncio.to_thread(store.summary, since)


def _number(request: web.Request, name: str, default: float) -> float:
    raw = request.query.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be a number, got {raw[:20]!r}.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise web.HTTPBadRequest(text=f"{name} must be a finite number.")
    return value


def _seen(request: web.Request) -> tuple[int, int] | None:
    """The counts the page already shows (``seen=3,1``); None if it sent none."""
    parts = request.query.get("seen", "").split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])
