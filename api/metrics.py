"""``/metrics`` of the API in Prometheus' text format, from one registry per application.

Calls by route template, method and status, their latency, and the calls refused by the
rate limit by key id. Labels carry route templates and public key ids only: never a
customer id from a path, never a key's secret. Like the console's, the page wants
``Authorization: Bearer <CONCIERGE_METRICS_TOKEN>`` (an unset token opens nothing), and
the API listens on a private address besides.
"""

from __future__ import annotations

import hmac

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from api.problems import ApiProblem

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    """The API's registry and the instruments the call-log middleware and limiter feed."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "concierge_api_requests",
            "API calls answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "concierge_api_request_seconds",
            "Time to answer an API call, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "concierge_api_rate_limited",
            "API calls refused with 429 by the per-key rate limit, by key id.",
            ["key_id"],
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered call."""
        method = method if method in _METHODS else "OTHER"  # a caller can send any token
        self.requests.labels(route, method, str(status)).inc()
        self.seconds.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


def bearer_matches(request: web.Request, token: str) -> bool:
    """True when the request carries ``token`` as its bearer (an empty token never matches)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(value.strip().encode(), token.encode())
    )


def scrape(request: web.Request, metrics: ApiMetrics, token: str) -> web.Response:
    """The scrape answer for the holder of the metrics token; raises a 401 problem otherwise."""
    if not bearer_matches(request, token):
        raise ApiProblem(
            "unauthorized",
            "Send the metrics token as `Authorization: Bearer <CONCIERGE_METRICS_TOKEN>`.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})
