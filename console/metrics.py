"""``/metrics`` in Prometheus' text format, from one registry per application.

Two kinds of figures: what this console process saw itself (customer turns relayed
through the chat WebSocket, bot replies, Rasa failures, how long Rasa took to answer a
turn including the actions it ran, page latency), and totals read from the shop database
and Rasa's tracker store at scrape time (turns, fallbacks, handoffs, offers shown and
accepted), cached for a few seconds so a busy scraper cannot load the databases.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from console.chat.rasa_client import BotMessage, RasaClient, RasaUnavailable
from console.staff.tracker_reader import (
    FALLBACK_ACTIONS,
    FALLBACK_INTENTS,
    events,
    read_only_engine,
)
from store.db import UnitOfWork
from store.models import ChatSession, Handoff, SessionOutcome

STORE_CACHE_SECONDS = 15.0
OUTCOMES = ("handoff_requested", "offer_shown", "offer_accepted", "offer_declined")
PAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class StoreTotals(UnitOfWork, Collector):
    """Collector of the totals kept by the shop database and the tracker store."""

    def __init__(
        self, session_factory: object, tracker_url: str, cache_seconds: float = STORE_CACHE_SECONDS
    ) -> None:
        super().__init__(session_factory)  # type: ignore[arg-type]
        self._tracker_url = tracker_url
        self._tracker: Engine | None = None
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, list[Metric]] | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the tracker store's connections."""
        if self._tracker is not None:
            self._tracker.dispose()

    def collect(self) -> Iterable[Metric]:
        """The families, fresh at most every ``cache_seconds``."""
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self._cache_seconds:
                self._cached = (now, self._read_all())
            return list(self._cached[1])

    def _read_all(self) -> list[Metric]:
        up = GaugeMetricFamily("concierge_store_up", "Whether the shop database answered.")
        try:
            families = [*self._store_families(), *self._tracker_families()]
        except Exception:  # a scrape reports the outage instead of failing
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *families]

    def _store_families(self) -> Iterator[Metric]:
        with self._read() as s:
            turns, sessions = s.execute(
                select(func.coalesce(func.sum(ChatSession.turns), 0), func.count(ChatSession.id))
            ).one()
            outcomes = dict(
                s.execute(
                    select(SessionOutcome.kind, func.count())
                    .where(SessionOutcome.kind.in_(OUTCOMES))
                    .group_by(SessionOutcome.kind)
                ).all()
            )
            handoffs = dict(
                s.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all()
            )
        family = CounterMetricFamily("concierge_turns", "Customer turns recorded in chat sessions.")
        family.add_metric([], turns)
        yield family
        family = CounterMetricFamily("concierge_chat_sessions", "Chat sessions recorded.")
        family.add_metric([], sessions)
        yield family
        family = CounterMetricFamily(
            "concierge_session_outcomes", "Business outcomes of chat sessions.", labels=["kind"]
        )
        for kind in OUTCOMES:
            family.add_metric([kind], outcomes.get(kind, 0))
        yield family
        family = GaugeMetricFamily(
            "concierge_handoffs", "Handoffs to a person by status.", labels=["status"]
        )
        for status, count in sorted(handoffs.items()):
            family.add_metric([status], count)
        yield family

    def _tracker_families(self) -> Iterator[Metric]:
        if self._tracker is None:
            self._tracker = read_only_engine(self._tracker_url)
        fallback_intents = fallback_actions = 0
        if self._tracker is not None:
            with self._tracker.connect() as conn:
                fallback_intents = conn.scalar(
                    select(func.count()).where(
                        events.c.type_name == "user", events.c.intent_name.in_(FALLBACK_INTENTS)
                    )
                )
                fallback_actions = conn.scalar(
                    select(func.count()).where(
                        events.c.type_name == "action", events.c.action_name.in_(FALLBACK_ACTIONS)
                    )
                )
        family = CounterMetricFamily(
            "concierge_fallbacks",
            "Fallbacks in Rasa's tracker store: nlu_fallback intents and fallback actions run.",
            labels=["source"],
        )
        family.add_metric(["nlu_fallback_intent"], fallback_intents or 0)
        family.add_metric(["fallback_action"], fallback_actions or 0)
        yield family


class ConsoleMetrics:
    """The console's registry and the instruments its handlers feed."""

    def __init__(self, store_totals: StoreTotals | None = None) -> None:
        self.registry = CollectorRegistry()
        self.page_seconds = Histogram(
            "concierge_console_page_seconds",
            "Time to answer a console HTTP request, by route.",
            ["route", "method"],
            buckets=PAGE_BUCKETS,
            registry=self.registry,
        )
        self.turns_relayed = Counter(
            "concierge_chat_turns_relayed",
            "Customer messages this console relayed to Rasa.",
            registry=self.registry,
        )
        self.bot_replies = Counter(
            "concierge_bot_replies", "Bot messages Rasa answered with.", registry=self.registry
        )
        self.rasa_failures = Counter(
            "concierge_rasa_failures",
            "Relayed turns Rasa did not answer (down, timeout, bad reply).",
            registry=self.registry,
        )
        self.bot_turn_seconds = Histogram(
            "concierge_bot_turn_seconds",
            "Time from relaying a customer turn to Rasa's reply, custom actions included.",
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.store_totals = store_totals
        if store_totals is not None:
            self.registry.register(store_totals)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


class MeteredRasaClient(RasaClient):
    """A RasaClient that counts turns and replies and times Rasa's answers."""

    def __init__(self, inner: RasaClient, metrics: ConsoleMetrics) -> None:
        # Everything is delegated; the parent's state is not used.
        self.webhook_url = inner.webhook_url
        self._inner = inner
        self._metrics = metrics

    async def send(self, sender_id: str, text: str, *, channel: str = "web") -> list[BotMessage]:
        """Relay the turn through the wrapped client, measuring it."""
        self._metrics.turns_relayed.inc()
        started = time.perf_counter()
        try:
            replies = await self._inner.send(sender_id, text, channel=channel)
        except RasaUnavailable:
            self._metrics.rasa_failures.inc()
            raise
        self._metrics.bot_turn_seconds.observe(time.perf_counter() - started)
        self._metrics.bot_replies.inc(len(replies))
        return replies


console_metrics_key = web.AppKey("console_metrics", ConsoleMetrics)


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


async def metrics_page(request: web.Request) -> web.Response:
    """Prometheus scrape endpoint."""
    metrics = request.app[console_metrics_key]
    body = await asyncio.to_thread(metrics.exposition)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def install_metrics(app: web.Application, metrics: ConsoleMetrics, rasa_key: Any) -> None:
    """Add ``/metrics`` and wrap the app's Rasa client once the cleanup contexts made it."""

    async def meter_rasa(app: web.Application) -> None:
        client = app.get(rasa_key)
        if client is not None and not isinstance(client, MeteredRasaClient):
            app[rasa_key] = MeteredRasaClient(client, metrics)

    async def close_tracker(app: web.Application) -> None:
        if metrics.store_totals is not None:
            metrics.store_totals.close()

    app[console_metrics_key] = metrics
    # on_startup handlers run after the cleanup contexts' startup halves.
    app.on_startup.append(meter_rasa)
    app.on_cleanup.append(close_tracker)
    app.router.add_get("/metrics", metrics_page, name="metrics")
