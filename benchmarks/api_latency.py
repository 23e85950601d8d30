"""What does HTTP cost the API's callers? p50/p95 over HTTP against the same call in-process.

    nice -n 5 .venv/bin/python -m benchmarks.api_latency [--requests 400] [--clients 1,20]

Starts ``python -m api`` on 127.0.0.1 (a free port, a rate limit no run reaches) against the
demo store and artifacts (``CONCIERGE_DB_URL`` / ``CONCIERGE_ARTIFACTS_DIR``, as ``make
demo`` uses them: run ``make train`` first), makes a key holding every scope, and times
recommendations (k=10), propensity and an offer decision (``record: false``, which records
nothing) for customers who ordered, at each number of concurrent clients. The baseline is
the same service function without HTTP (``ModelService.recommendations``,
``ModelService.propensity``, ``OfferDecider.decide``) in this process, with as many
threads as clients, measured in the same run. The key is revoked at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.offers import OfferDecider
from api.schemas import OfferDecisionRequest, RecommendationsQuery
from api.serving import ModelService
from concierge.settings import Settings
from concierge.stack import Stack
from store.api_keys import SCOPES, ApiKeys
from store.db import make_engine, make_session_factory
from store.models import Order

DECISION = {"trigger": "with_recommendation"}  # record defaults to false: a preview
CUSTOMERS = 200  # the customers the calls cycle through (the most frequent buyers)
WARM_UP = 5  # calls per scenario before timing (imports, caches, connections)


@dataclass(frozen=True)
class Scenario:
    """One call, over HTTP and in-process."""

    name: str
    method: str
    path: str  # with {customer_id}
    body: dict[str, Any] | None
    in_process: Callable[[int], object]


@dataclass(frozen=True)
class Timing:
    p50_ms: float
    p95_ms: float


def scenarios(service: ModelService, offers: OfferDecider) -> list[Scenario]:
    """The three calls the brief names, each with its in-process twin."""
    ten = RecommendationsQuery.model_validate({"k": 10})
    preview = OfferDecisionRequest.model_validate(DECISION)
    return [
        Scenario(
            "recommendations (k=10)",
            "GET",
            "/v1/customers/{customer_id}/recommendations?k=10",
            None,
            lambda customer: service.recommendations(customer, ten),
        ),
        Scenario(
            "propensity",
            "GET",
            "/v1/customers/{customer_id}/propensity",
            None,
            service.propensity,
        ),
        Scenario(
            "offer decision (record: false)",
            "POST",
            "/v1/customers/{customer_id}/offer-decisions",
            DECISION,
            lambda customer: offers.decide(customer, preview),
        ),
    ]


def percentiles(seconds: Sequence[float]) -> Timing:
    """p50 and p95 in milliseconds (inclusive quantiles, as the other benchmarks report)."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return Timing(round(cuts[49] * 1000, 2), round(cuts[94] * 1000, 2))


def buyers(sessions: sessionmaker[Session], limit: int) -> list[int]:
    """The customers with the most orders: every call has a history to work on."""
    with sessions() as s:
        rows = s.scalars(
            select(Order.customer_id)
            .where(Order.customer_id.is_not(None))
            .group_by(Order.customer_id)
            .order_by(func.count(Order.id).desc(), Order.customer_id)
            .limit(limit)
        ).all()
    if not rows:
        raise SystemExit("The store has no orders: run `make data train` (or `make demo`) first.")
    return [int(r) for r in rows if r is not None]


async def time_http(
    url: str, token: str, scenario: Scenario, customers: list[int], requests: int, clients: int
) -> Timing:
    """Latency of ``requests`` calls made by ``clients`` concurrent callers over HTTP."""
    headers = {"Authorization": f"Bearer {token}"}
    cycle = itertools.cycle(customers)
    timings: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one() -> float:
            target = url + scenario.path.format(customer_id=next(cycle))
            started = time.perf_counter()
            async with session.request(scenario.method, target, json=scenario.body) as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"{scenario.name}: HTTP {response.status} from {target}")
            return time.perf_counter() - started

        for _ in range(WARM_UP):
            await one()
        left = iter(range(requests))

        async def caller() -> None:
            for _ in left:
                timings.append(await one())

        await asyncio.gather(*(caller() for _ in range(clients)))
    return percentiles(timings)


def time_in_process(
    scenario: Scenario, customers: list[int], requests: int, clients: int
) -> Timing:
    """Latency of the same calls made directly by ``clients`` threads (the API's own)."""
    cycle = itertools.cycle(customers)

    def one(customer: int) -> float:
        started = time.perf_counter()
        scenario.in_process(customer)
        return time.perf_counter() - started

    for _ in range(WARM_UP):
        one(next(cycle))
    work = [next(cycle) for _ in range(requests)]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        timings = list(pool.map(one, work))
    return percentiles(timings)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def table(rows: list[tuple[str, int, Timing, Timing]]) -> list[str]:
    """The Markdown table: HTTP and in-process side by side, and their ratio."""
    lines = [
        "| call | clients | HTTP p50 ms | HTTP p95 ms | in-process p50 ms | in-process p95 ms "
        "| p50 HTTP/in-process | p95 HTTP/in-process |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, clients, http, direct in rows:
        lines.append(
            f"| {name} | {clients} | {http.p50_ms:.2f} | {http.p95_ms:.2f} | "
            f"{direct.p50_ms:.2f} | {direct.p95_ms:.2f} | "
            f"{_ratio(http.p50_ms, direct.p50_ms)} | {_ratio(http.p95_ms, direct.p95_ms)} |"
        )
    return lines


def _ratio(http: float, direct: float) -> str:
    return f"{http / direct:.1f}x" if direct > 0 else "n/a"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    base = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="timed calls per cell")
    parser.add_argument("--clients", default="1,20", help="concurrent clients, comma-separated")
    parser.add_argument("--db-url", default=base.db_url, help="the store (default: the demo's)")
    parser.add_argument(
        "--artifacts", type=Path, default=base.artifacts_dir, help="trained models (the demo's)"
    )
    args = parser.parse_args(argv)
    try:
        args.client_counts = [int(c) for c in args.clients.split(",")]
    except ValueError:
        parser.error(f"--clients takes whole numbers separated by commas, not {args.clients!r}")
    if args.requests < 20 or min(args.client_counts) < 1:
        parser.error("--requests must be at least 20 (for a p95) and each --clients at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    engine = make_engine(args.db_url)
    sessions = make_session_factory(engine)
    customers = buyers(sessions, CUSTOMERS)
    service = ModelService(args.artifacts, sessions)
    service.refresh()
    if service.models.recommender is None:
        raise SystemExit(f"No recommender in {args.artifacts}: run `make train` first.")
    keys = ApiKeys(sessions)
    key, token = keys.create("api-latency benchmark", list(SCOPES))
    with tempfile.TemporaryDirectory(prefix="bench-api-") as logs:
        settings = replace(
            Settings.from_env(),
            var_dir=Path(logs),  # the API's log only; the store and models are the demo's
            db_url=args.db_url,
            artifacts_dir=args.artifacts,
            api_host="127.0.0.1",
            api_port=free_port(),
            api_rate_per_minute=1_000_000,
            api_rate_burst=1_000_000,
        )
        stack = Stack(settings, services=("api",))
        stack.start(timeout=180)
        try:
            rows = []
            for scenario in scenarios(service, OfferDecider(sessions)):
                for clients in args.client_counts:
                    http = asyncio.run(
                        time_http(
                            settings.api_url, token, scenario, customers, args.requests, clients
                        )  # fmt: skip
                    )
                    direct = time_in_process(scenario, customers, args.requests, clients)
                    rows.append((scenario.name, clients, http, direct))
        finally:
            stack.stop()
            keys.revoke(key.key_id)
            engine.dispose()
    print(
        f"API latency: {args.requests} calls per cell over {len(customers)} customers; "
        f"recommender {service.models.versions.get('recommender')}; store {args.db_url}"
    )
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
