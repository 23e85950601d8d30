"""Middlewares every console response goes through, and the access log the console writes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from console.keys import console_metrics_key

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# No inline script or style anywhere, so the policy can forbid them: even a markup
# injection that slipped past escaping could not run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https: http: data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the content security policy and friends to every response."""
    response = await handler(request)
    if not response.prepared:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@web.middleware
async def page_latency(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time every request by its route pattern (never its raw path: ids would explode labels)."""
    metrics = request.app.get(console_metrics_key)
    if metrics is None:
        return await handler(request)
    started = time.perf_counter()
    response: Any = None
    try:
        response = await handler(request)
        return response
    finally:
        # A chat WebSocket lives for minutes; its duration is not a page latency.
        if not isinstance(response, web.WebSocketResponse):
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            metrics.page_seconds.labels(route, request.method).observe(
                time.perf_counter() - started
            )


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log lines with the path only: no query string, no referrer.

    Staff search conversations by a customer's e-mail or name and sign-in links carry a
    target, all in the query; the log keeps what operations need (who, what route, how it
    went, how long) and no personal data.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.3fs',
            request.remote,
            request.method,
            request.path,
            response.status,
            time,
        )


# What ``python -m console`` (console/__main__.py) passes to aiohttp as ``access_log_class``.
ACCESS_LOGGER = PathOnlyAccessLogger
