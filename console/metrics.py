"""``/metrics`` in Prometheus' text format, from one registry per application.

Two kinds of figures: what this console process saw itself (customer turns relayed
through the chat WebSocket, bot replies, Rasa failures, how long Rasa took to answer a
turn including the actions it ran, page latency), and totals read from the shop database
and Rasa's tracker store at scrape time (turns, fallbacks, handoffs, offers shown and
accepted), cached for a few seconds so a busy scraper cannot load the databases.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from console.staff.tracker_reader import TrackerReader
from store.chat_totals import ChatTotalsQuery
from store.views import Outcome

STORE_CACHE_SECONDS = 15.0
OUTCOMES = (
    Outcome.HANDOFF_REQUESTED,
    Outcome.OFFER_SHOWN,
    Outcome.OFFER_ACCEPTED,
    Outcome.OFFER_DECLINED,
)
PAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class StoreTotals(Collector):
    """Collector of the totals kept by the shop database and the tracker store."""

    def __init__(
        self,
        totals: ChatTotalsQuery,
        tracker: TrackerReader,
        cache_seconds: float = STORE_CACHE_SECONDS,
    ) -> None:
        """Both sources are the app's own (it closes them); this only reads through them."""
        self._totals = totals
        self._tracker = tracker
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, list[Metric]] | None = None
        self._lock = threading.Lock()

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
        totals = self._totals.totals(OUTCOMES)
        family = CounterMetricFamily("concierge_turns", "Customer turns recorded in chat sessions.")
        family.add_metric([], totals.turns)
        yield family
        family = CounterMetricFamily("concierge_chat_sessions", "Chat sessions recorded.")
        family.add_metric([], totals.sessions)
        yield family
        family = CounterMetricFamily(
            "concierge_session_outcomes", "Business outcomes of chat sessions.", labels=["kind"]
        )
        for kind in OUTCOMES:
            family.add_metric([kind], totals.outcomes.get(kind, 0))
        yield family
        handoffs = GaugeMetricFamily(
            "concierge_handoffs", "Handoffs to a person by status.", labels=["status"]
        )
        for status, count in sorted(totals.handoffs.items()):
            handoffs.add_metric([status], count)
        yield handoffs

    def _tracker_families(self) -> Iterator[Metric]:
        fallback_intents, fallback_actions = self._tracker.fallback_counts()
        family = CounterMetricFamily(
            "concierge_fallbacks",
            "Fallbacks in Rasa's tracker store: nlu_fallback intents and fallback actions run.",
            labels=["source"],
        )
        family.add_metric(["nlu_fallback_intent"], fallback_intents)
        family.add_metric(["fallback_action"], fallback_actions)
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

    # The RasaClient's TurnObserver: the client reports every relayed turn here.
    def turn_relayed(self) -> None:
        """A customer turn is on its way to Rasa."""
        self.turns_relayed.inc()

    def turn_answered(self, seconds: float, replies: int) -> None:
        """Rasa answered a turn after ``seconds`` with ``replies`` bot messages."""
        self.bot_turn_seconds.observe(seconds)
        self.bot_replies.inc(replies)

    def turn_failed(self) -> None:
        """Rasa did not answer a turn (down, timeout, bad reply)."""
        self.rasa_failures.inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
