"""The scaled topology on one machine: real engines and every service several times.

``python -m concierge.stack --scale N`` (``make demo-scale``) and the load and fault tests
run :class:`ScaledStack`. It starts, each as its own child process on a private loopback
port with its data under ``var/scale/``:

- PostgreSQL (the shop store in database ``concierge``, Rasa's tracker store in ``tracker``),
  Redis (Rasa's lock store, the consoles' shared state) and RabbitMQ (Rasa's event broker);
- N action servers, N Rasa servers and N consoles;
- nginx in front of each group, on the ports the single-machine stack uses (console 8080,
  Rasa 5005, actions 5055 by default): customers and staff reach any console, each console
  reaches any Rasa server, each Rasa server reaches any action server.

:func:`topology` is the one description of those processes: ``deploy/compose.yml`` is
checked against it (tests/deploy), so the compose file cannot drift from what runs here.
Stopping ends exactly what was started, each by its PID or its data directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from concierge.engines import (
    EngineError,
    Nginx,
    PostgresServer,
    RabbitServer,
    RedisServer,
    free_port,
    render_nginx_config,
)
from concierge.rasa_endpoints import write_endpoints
from concierge.settings import ROOT, Settings
from concierge.stack import (
    MODEL_PATH,
    SERVICE_SECRETS,
    Service,
    Stack,
    StackError,
    wait_until_healthy,
)

# The kinds of Concierge process, in the order they start (each needs the one before).
KINDS = ("actions", "rasa", "console")
# Steps that fill a fresh shop database (the same seeded demo the embedded stack has, so the
# trained models under var/artifacts match its products and customers).
PREPARE_STORE = (
    ("store", "generate", "--if-missing"),
    ("promotions", "demo"),
)
TRACKER_DATABASE = "tracker"


@dataclass(frozen=True)
class ProcessSpec:
    """One process of the topology: which kind, which instance, and the settings it runs with."""

    kind: str
    instance: int
    settings: Settings

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.instance}"


def topology(
    cluster: Settings, n: int, ports: dict[str, list[int]], front: Settings
) -> list[ProcessSpec]:
    """Every Concierge process of an ``n``-way cluster and its settings.

    ``cluster`` holds the engines' URLs and the secrets; ``ports[kind]`` the private port of
    each instance; ``front`` the load balancer's public ports. Rasa servers call the action
    servers through the balancer, consoles call Rasa through it.
    """
    specs = []
    for i in range(n):
        instance = str(i + 1)
        base = replace(cluster, instance_name=instance)
        specs.append(
            ProcessSpec(
                "actions",
                i + 1,
                replace(
                    base, action_port=ports["actions"][i], action_metrics_port=ports["metrics"][i]
                ),
            )
        )
        specs.append(
            ProcessSpec(
                "rasa",
                i + 1,
                replace(base, rasa_port=ports["rasa"][i], action_port=front.action_port),
            )
        )
        specs.append(
            ProcessSpec(
                "console",
                i + 1,
                replace(base, console_port=ports["console"][i], rasa_port=front.rasa_port),
            )
        )
    return specs


class ScaledStack:
    """Engines, N instances of each Concierge service and nginx in front, for one ``Settings``.

    ``settings`` gives the secrets, the var folder and the public ports nginx listens on;
    the engines' URLs are made here (their data under ``root``, default ``var/scale``).
    """

    def __init__(
        self,
        settings: Settings,
        n: int = 2,
        *,
        root: Path | None = None,
        model_path: Path = MODEL_PATH,
    ) -> None:
        if n < 1:
            raise ValueError("a scaled stack needs at least one instance of each service")
        self.front = settings
        self.n = n
        self.root = root or settings.var_dir / "scale"
        self.model_path = model_path
        self.postgres = PostgresServer(self.root / "postgres")
        self.redis = RedisServer(self.root / "redis")
        self.rabbit = RabbitServer(self.root / "rabbitmq")
        self.nginx: Nginx | None = None
        self.cluster: Settings | None = None
        self.processes: dict[str, Stack] = {}

    # --- start and stop --------------------------------------------------------------

    def start(self, timeout: float = 300.0) -> ScaledStack:
        """Start the engines, fill the store if it is new, then every service; wait for all."""
        try:
            self._start_engines()
            cluster = self.cluster
            assert cluster is not None
            self._prepare_store(cluster)
            ports = {
                kind: [free_port() for _ in range(self.n)]
                for kind in ("actions", "metrics", "rasa", "console")
            }
            for spec in topology(cluster, self.n, ports, self.front):
                stack = Stack(spec.settings, model_path=self.model_path, services=(spec.kind,))
                self.processes[spec.name] = stack
            if self.front.demo:
                # The demo shop page embeds the widget from the balanced console address.
                self.processes["demo_shop-1"] = Stack(cluster, services=("demo_shop",))
            write_endpoints(cluster)
            for stack in self.processes.values():
                for name, service in stack.services.items():
                    stack.settings.require(*SERVICE_SECRETS.get(name, ()))
                    service.start()
            self.nginx = Nginx(self.root / "nginx", self._nginx_config(ports))
            self.nginx.start()
            wait_until_healthy(self.services(), timeout, on_failure=self.stop)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_engines(self) -> None:
        self.postgres.start()
        self.postgres.create_database(TRACKER_DATABASE)
        self.redis.start()
        self.rabbit.start()
        store_url = self.postgres.url
        tracker_url = store_url.rsplit("/", 1)[0] + f"/{TRACKER_DATABASE}"
        self.cluster = replace(
            self.front,
            db_url=store_url,
            tracker_db_url=tracker_url,
            redis_url=self.redis.url,
            broker_url=self.rabbit.url,
            trusted_proxies=("127.0.0.1",),
        )

    def _prepare_store(self, cluster: Settings) -> None:
        """Migrate and fill the PostgreSQL store (skipped by each step when already done)."""
        env = Stack(cluster, services=())._base_env()
        for step in PREPARE_STORE:
            command = [sys.executable, "-m", *step]
            done = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
            )
            if done.returncode != 0:
                raise StackError(
                    f"{' '.join(step)} failed on the PostgreSQL store:\n{done.stderr[-3000:]}"
                )

    def _nginx_config(self, ports: dict[str, list[int]]) -> str:
        def upstreams(kind: str) -> list[str]:
            return [f"127.0.0.1:{port}" for port in ports[kind]]

        return render_nginx_config(
            listen_rasa=self.front.rasa_port,
            rasa_upstreams=upstreams("rasa"),
            listen_console=self.front.console_port,
            console_upstreams=upstreams("console"),
            listen_actions=self.front.action_port,
            action_upstreams=upstreams("actions"),
            root=self.root / "nginx",
        )

    def services(self) -> dict[str, Service]:
        return {
            name: service
            for name, stack in self.processes.items()
            for service in stack.services.values()
        }

    def stop(self) -> None:
        """Stop everything this stack started: nginx, the services, then the engines."""
        if self.nginx is not None:
            with contextlib.suppress(Exception):
                self.nginx.stop()
        for kind in ("demo_shop", *reversed(KINDS)):
            for name, stack in self.processes.items():
                if name.startswith(f"{kind}-"):
                    stack.stop()
        for engine in (self.rabbit, self.redis, self.postgres):
            with contextlib.suppress(Exception):
                engine.stop()

    def __enter__(self) -> ScaledStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- faults ------------------------------------------------------------------------

    def kill(self, name: str) -> int:
        """``kill -9`` one service process (e.g. ``"rasa-1"``); returns the PID it had."""
        service = self._service(name)
        assert service.process is not None, f"{name} is not running"
        pid = service.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        service.process.wait(timeout=30)
        return pid

    def restart(self, name: str, timeout: float = 240.0) -> None:
        """Start a stopped or killed service process again and wait until it answers."""
        stack = self.processes[name]
        kind = name.split("-", 1)[0]
        stack.start_service(kind, timeout=timeout)

    def _service(self, name: str) -> Service:
        stack = self.processes[name]
        return stack.services[name.split("-", 1)[0]]

    def pids(self) -> dict[str, int]:
        """PID of every running service process, by name (``console-2``)."""
        return {
            name: service.process.pid
            for name, service in self.services().items()
            if service.process is not None and service.process.poll() is None
        }

    @property
    def console_url(self) -> str:
        return self.front.console_url

    def urls(self) -> Iterator[tuple[str, str]]:
        """What to print: each public address and what answers there."""
        front = self.front
        yield "Web chat and console (nginx)", f"{front.console_url}/"
        yield "Rasa servers (nginx)", f"{front.rasa_url}/webhooks/concierge/"
        yield "Action servers (nginx)", f"http://{front.action_host}:{front.action_port}/health"
        yield "PostgreSQL", self.postgres.url
        yield "Redis", self.redis.url
        yield "RabbitMQ", self.rabbit.url.replace("guest:guest@", "")


def run_scaled(settings: Settings, n: int, *, timeout: float) -> int:
    """``python -m concierge.stack --scale N``: start everything, print where, stop on Ctrl-C."""
    from concierge.stack import run_until_stopped
    from console.demo_accounts import demo_account_lines

    stack = ScaledStack(settings, n)
    print(
        f"Starting PostgreSQL, Redis, RabbitMQ, then {n} action servers, {n} Rasa servers "
        f"and {n} consoles behind nginx (data under {stack.root}) ...",
        flush=True,
    )
    try:
        stack.start(timeout=timeout)
    except (StackError, EngineError) as exc:
        print(f"Could not start the scaled stack: {exc}", file=sys.stderr)
        return 1
    assert stack.cluster is not None
    lines = [f"  {what + ':':<30} {where}" for what, where in stack.urls()]
    print("\nConcierge is running, scaled.\n" + "\n".join(lines), flush=True)
    print(f"  {'Logs:':<30} {settings.var_dir / 'logs'}/ (one per process: rasa-2.log)")
    print("\n".join(demo_account_lines(stack.cluster)), flush=True)
    if settings.demo:
        print(f"Demo shop page (embeds the widget): {settings.demo_shop_url}/", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    run_until_stopped(stack.services())
    print("\nStopping ...", flush=True)
    stack.stop()
    print("Stopped.", flush=True)
    return 0
