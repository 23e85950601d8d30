"""What the supervisor, load balancers and Prometheus ask: ``/healthz`` and ``/metrics``.

``/healthz`` is public (load balancers ask it), so it says ok or not, never why: error
texts name files, hosts and drivers. ``/metrics`` counts customers' turns and the shop's
offers, so it wants ``Authorization: Bearer <CONCIERGE_METRICS_TOKEN>``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from console.keys import console_metrics_key, repository_key, settings_key

logger = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    """Liveness for the supervisor and load balancers: the app answers and the store opens."""
    try:
        request.app[repository_key].list_customers(limit=1)
    except Exception as exc:  # the store is down: say so, don't crash
        # The cause goes to the log (its type only: driver messages may carry the URL).
        logger.warning("Health check: the store does not open (%s).", type(exc).__name__)
        return web.json_response({"status": "degraded"}, status=503)
    return web.json_response({"status": "ok"})


def _bearer_matches(request: web.Request, token: str) -> bool:
    sent = request.headers.get("Authorization", "")
    scheme, _, value = sent.partition(" ")
    # An unset token (tests building Settings by hand) opens nothing.
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(value.strip().encode(), token.encode())
    )


async def metrics_page(request: web.Request) -> web.Response:
    """Prometheus scrape endpoint, for the holder of the metrics token only."""
    if not _bearer_matches(request, request.app[settings_key].metrics_token):
        return web.json_response(
            {"error": "unauthorized"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    metrics = request.app[console_metrics_key]
    body = await asyncio.to_thread(metrics.exposition)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
