"""One log line per API call, without personal data.

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

from api.typedefs import KEY_ID

log = logging.getLogger("api.calls")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_template(request: web.Request) -> str:
    """The matched route's template, or ``(unmatched)``."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(unmatched)"


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
        log.info(
            "%s %s %s %.1fms key=%s",
            request.method,
            route_template(request),
            status,
            (time.perf_counter() - started) * 1000,
            request.get(KEY_ID, "-"),
        )
