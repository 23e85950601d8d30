"""The stacks the load benchmark drives, each started on loopback and stopped afterwards.

Each context manager yields a :class:`Target`: how to open one customer's chat, the shop's
customers with a shop id and an order, and the PIDs of the processes that do the work
(``benchmarks/load.py`` reads their CPU time from /proc). Started here:

- the embedded :class:`concierge.stack.Stack` on a copy of the demo shop in ``var/``;
- the :class:`concierge.scale.ScaledStack`, two of each service on real engines;
- Rasa's own ``rasa init`` assistant, trained once, as the baseline.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from concierge.settings import ROOT, Settings
from store.db import make_engine, upgrade
from store.tracker_store import events
from tests.support.load_client import Chat, ConsoleChat, LoadCustomer, RestChat, loopback_address
from tests.support.servers import free_port, isolated_settings

if TYPE_CHECKING:
    from concierge.stack import Stack

BENCH_DIR = ROOT / "var" / "bench"
RASA_INIT_DIR = BENCH_DIR / "rasa-init"
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"


@dataclass
class Target:
    """A running stack the driver talks to: how to open a chat and which processes it has."""

    mode: str
    make_chat: Callable[[int], Chat]
    customers: list[LoadCustomer]
    root_pids: Callable[[], list[int]]
    # Events Rasa's tracker store holds for a sender id (None: the tracker is in memory).
    event_count: Callable[[str], int] | None = None
    # Seconds from start until each service first answered its health URL.
    startup: dict[str, float] = field(default_factory=dict)
    # Each service's main process, by name (the profiler attaches to them).
    service_pids: Callable[[], dict[str, int]] = dict


def tracker_event_counter(tracker_db_url: str) -> tuple[Callable[[str], int], Callable[[], None]]:
    """A function counting a sender's events in the SQL tracker store, and its closer."""
    engine = make_engine(tracker_db_url)
    query = select(func.count()).select_from(events)

    def count(sender_id: str) -> int:
        with engine.connect() as conn:
            return int(conn.execute(query.where(events.c.sender_id == sender_id)).scalar_one())

    return count, engine.dispose


def start_timed(stack: Stack, timeout: float) -> dict[str, float]:
    """Start ``stack`` and return how long each service took until it first answered.

    :meth:`Stack.start` starts every service at once and waits for all; this polls each
    health URL beside it, so the figures are per service on shared cores, as in production.
    """
    began = time.monotonic()
    failure: list[BaseException] = []

    def start() -> None:
        try:
            stack.start(timeout=timeout)
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    starter = threading.Thread(target=start, name="stack-start")
    starter.start()
    ready: dict[str, float] = {}
    while starter.is_alive() or len(ready) < len(stack.services):
        for name, service in stack.services.items():
            if name not in ready and service.process is not None and service.is_healthy():
                ready[name] = time.monotonic() - began
        if not starter.is_alive() and (failure or len(ready) == len(stack.services)):
            break
        time.sleep(0.2)
    starter.join()
    if failure:
        raise failure[0]
    return ready


def shop_customers(db_url: str, limit: int = 500) -> list[LoadCustomer]:
    """Customers with a shop id and an order, each with her latest order number."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.external_ref, MAX(o.number) FROM customers c "
                    "JOIN orders o ON o.customer_id = c.id WHERE c.external_ref IS NOT NULL "
                    "GROUP BY c.id, c.external_ref ORDER BY c.id LIMIT :limit"
                ),
                {"limit": limit},
            ).all()
    finally:
        engine.dispose()
    if not rows:
        raise SystemExit(f"No customer with a shop id and an order in {db_url}.")
    return [LoadCustomer(ref, number) for ref, number in rows]


def give_shop_ids(db_url: str) -> None:
    """Demo data made before shop ids existed: give its customers one, as the demo page does."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE customers SET external_ref = 'shop-' || CAST(id AS VARCHAR(20)) "
                    "WHERE external_ref IS NULL"
                )
            )
    finally:
        engine.dispose()


def bench_settings(var_dir: Path) -> Settings:
    """Free loopback ports, fresh secrets, the demo's trained artifacts; no demo mode."""
    return replace(
        isolated_settings(var_dir),
        artifacts_dir=ROOT / "var" / "artifacts",
        demo=False,
        console_secret=secrets.token_urlsafe(32),
        identity_secret=secrets.token_urlsafe(32),
        channel_secret=secrets.token_urlsafe(32),
        action_token=secrets.token_urlsafe(32),
        metrics_token=secrets.token_urlsafe(32),
    )


def console_chat_factory(
    base_url: str, secret: str, customers: list[LoadCustomer]
) -> Callable[[int], Chat]:
    def make(n: int) -> Chat:
        return ConsoleChat(
            base_url, secret, customers[n % len(customers)], source_address=loopback_address(n)
        )

    return make


@contextlib.contextmanager
def embedded_target(scratch: Path) -> Iterator[Target]:
    """The single-instance stack on a copy of ``var/concierge.db`` and a fresh tracker store."""
    from concierge.stack import Stack

    source = ROOT / "var" / "concierge.db"
    if not source.exists():
        raise SystemExit(f"No demo shop at {source}: run `make data` first.")
    settings = bench_settings(scratch / "embedded")
    with sqlite3.connect(source) as src, sqlite3.connect(settings.var_dir / "concierge.db") as dst:
        src.backup(dst)  # consistent even while a demo writes to it
    upgrade(settings.db_url)
    give_shop_ids(settings.db_url)
    customers = shop_customers(settings.db_url)
    stack = Stack(settings)
    startup = start_timed(stack, timeout=600)
    count, close_counter = tracker_event_counter(settings.tracker_db_url)
    try:
        yield Target(
            "embedded",
            console_chat_factory(settings.console_url, settings.identity_secret, customers),
            customers,
            lambda: [s.process.pid for s in stack.services.values() if s.process is not None],
            event_count=count,
            startup=startup,
            service_pids=lambda: {
                n: s.process.pid for n, s in stack.services.items() if s.process is not None
            },
        )
    finally:
        close_counter()
        stack.stop()


@contextlib.contextmanager
def scaled_target(scratch: Path) -> Iterator[Target]:
    """Two of each service behind nginx on PostgreSQL, Redis and RabbitMQ."""
    from concierge.scale import ScaledStack

    settings = bench_settings(scratch / "scaled")
    stack = ScaledStack(settings, n=2, root=BENCH_DIR / "scale")
    stack.start(timeout=900)
    try:
        assert stack.cluster is not None
        give_shop_ids(stack.cluster.db_url)
        customers = shop_customers(stack.cluster.db_url)

        def pids() -> list[int]:
            engines = (stack.postgres, stack.redis, stack.rabbit, stack.nginx)
            found = [e.pid for e in engines if e is not None and e.pid]
            return [*stack.pids().values(), *found]

        yield Target(
            "scaled",
            console_chat_factory(stack.console_url, settings.identity_secret, customers),
            customers,
            pids,
        )
    finally:
        stack.stop()


def rasa_init_model() -> Path:
    """The ``rasa init`` assistant's model, trained once and reused (retrained if missing)."""
    models = RASA_INIT_DIR / "models"
    if not any(models.glob("*.tar.gz")):
        RASA_INIT_DIR.mkdir(parents=True, exist_ok=True)
        print(f"Training Rasa's init assistant into {RASA_INIT_DIR} (once) ...", flush=True)
        subprocess.run(
            [str(RASA_BIN), "init", "--no-prompt", "--init-dir", str(RASA_INIT_DIR)],
            cwd=ROOT,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
            stdout=subprocess.DEVNULL,
            check=True,
            timeout=1800,
        )
    return max(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)


def baseline_command(model: Path, port: int) -> list[str]:
    """The baseline's Rasa server: loopback only, its channels only, no HTTP API."""
    return [
        str(RASA_BIN),
        "run",
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--model",
        str(model),
    ]


@contextlib.contextmanager
def baseline_target(scratch: Path, customers: list[LoadCustomer]) -> Iterator[Target]:
    """``rasa run`` of the init assistant on a loopback port, driven through its REST channel.

    Without ``--enable-api``: the REST channel (the init project's credentials.yml) is all
    the driver needs, and Rasa's HTTP API would let any local process set any slot.
    """
    model = rasa_init_model()
    port = free_port()
    log_path = scratch / "rasa-init.log"
    command = baseline_command(model, port)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=RASA_INIT_DIR,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        # The REST channel's health route: it answers once the model is loaded.
        began = time.monotonic()
        _wait_for(url + "/webhooks/rest/", process, log_path, timeout=600)
        yield Target(
            "baseline",
            lambda n: RestChat(url),
            customers,
            lambda: [process.pid],
            startup={"rasa": time.monotonic() - began},
            service_pids=lambda: {"rasa": process.pid},
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"rasa run exited ({process.returncode}); see {log}")
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url, timeout=5) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.25)  # fine enough for the start-up time the benchmark prints
    raise SystemExit(f"rasa run did not answer {url} within {timeout:.0f}s; see {log}")
