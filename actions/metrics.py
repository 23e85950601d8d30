"""The action server's Prometheus figures: how long each custom action takes, and its failures.

The console's ``/metrics`` sees turns from outside; only the action server can time its
own actions. ``python -m actions`` serves this registry on ``Settings.action_metrics_port``
of ``Settings.action_host``, the action server's private address (never the public one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ACTION_SECONDS = Histogram(
    "concierge_action_seconds",
    "Time a custom action took, store and models included.",
    ["action"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
ACTION_FAILURES = Counter(
    "concierge_action_failures",
    "Custom actions that raised or found the store unreachable.",
    ["action", "reason"],
    registry=REGISTRY,
)


@contextmanager
def timed_action(name: str) -> Iterator[None]:
    """Observe the duration of the action ``name`` (also when it raises)."""
    started = perf_counter()
    try:
        yield
    except Exception as exc:
        ACTION_FAILURES.labels(name, type(exc).__name__).inc()
        raise
    finally:
        ACTION_SECONDS.labels(name).observe(perf_counter() - started)


def serve_metrics(host: str, port: int) -> Any | None:
    """Serve the registry on http://host:port/metrics: the HTTP server, or None (logged)."""
    if port <= 0:
        return None
    try:
        server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    except OSError as exc:
        logger.warning("Action metrics not served on %s:%s: %s", host, port, exc)
        return None
    logger.info("Action metrics on http://%s:%s/metrics", host, port)
    return server
