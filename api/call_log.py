"""One log line and one count in ``/metrics`` per API call, without personal data.

The line names the route's template (``/v1/customers/{customer_id}/propensity``), never the
path or query: a customer's id in a log is a trace ``python -m store forget`` would have to
find. Who called is the API key's public id; how it went is the status and the time.
aiohttp's own access log is off (``python -m api`` passes ``access_log=None``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from api.problems import route_template
from api.typedefs import KEY_ID, METRICS

log = logging.getLogger("api.calls")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def call_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log method, route template, status, duration and key id of every call."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        seconds = time.perf_counter() - started
        route = route_template(request)
        log.info(
            "%s %s %s %.1fms key=%s",
            request.method,
            route,
            status,
            seconds * 1000,
            request.get(KEY_ID, "-"),
        )
        metrics = request.app.get(METRICS)
        if metrics is not None:
            metrics.observe(route, request.method, status, seconds)
