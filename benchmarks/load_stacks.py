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
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import text

from concierge.settings import ROOT, Settings
from store.db import make_engine, upgrade
from tests.support.load_client import Chat, ConsoleChat, LoadCustomer, RestChat, loopback_address
from tests.support.servers import free_port, isolated_settings

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
    stack.start(timeout=600)
    try:
        yield Target(
            "embedded",
            console_chat_factory(settings.console_url, settings.identity_secret, customers),
            customers,
            lambda: [s.process.pid for s in stack.services.values() if s.process is not None],
        )
    finally:
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
        _wait_for(url + "/webhooks/rest/", process, log_path, timeout=600)
        yield Target("baseline", lambda n: RestChat(url), customers, lambda: [process.pid])
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
        time.sleep(1)
    raise SystemExit(f"rasa run did not answer {url} within {timeout:.0f}s; see {log}")
