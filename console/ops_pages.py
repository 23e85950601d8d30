"""What the supervisor, load balancers and Prometheus ask: ``/healthz`` and ``/metrics``."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from console.keys import console_metrics_key, repository_key


async def healthz(request: web.Request) -> web.Response:
    """Liveness for the supervisor and load balancers: the app answers and the store opens."""
    try:
        request.app[repository_key].list_customers(limit=1)
    except Exception as exc:  # the store is down: say so, don't crash
        return web.json_response({"status": "degraded", "store": str(exc)[:200]}, status=503)
    return web.json_response({"status": "ok"})


async def metrics_page(request: web.Request) -> web.Response:
    """Prometheus scrape endpoint."""
    metrics = request.app[console_metrics_key]
    body = await asyncio.to_thread(metrics.exposition)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
