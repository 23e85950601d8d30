"""Start, watch and stop the Concierge services as child processes.

``make demo`` runs ``python -m concierge.stack`` and the integration tests use
:class:`Stack` directly, so the way the services are started is written once. Each
service runs in its own process group; :meth:`Stack.stop` ends exactly those groups
(by PID), first politely, then firmly.

Only the console is public. Rasa (no HTTP API, only the ``concierge`` channel) and the
action server bind their own private addresses (``RASA_HOST``, ``ACTION_HOST``), and the
secrets they share reach each process through its environment, from one ``Settings``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from concierge.outreach_scheduler import OutreachScheduler, outreach_variables, schedule_line
from concierge.rasa_credentials import credentials_path, telegram_env
from concierge.rasa_endpoints import endpoints_path, secret_env, write_endpoints
from concierge.settings import ROOT, SECRET_VARIABLES, Settings, exits_on_settings_error

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL_PATH = ROOT / "models" / "concierge.tar.gz"
# The concierge channel's unauthenticated GET: Rasa answers it once the model is loaded.
RASA_HEALTH_PATH = "/webhooks/concierge/"
# The secrets each service refuses to start without (console/__main__.py, actions/server.py,
# and for Rasa credentials.yml and endpoints.yml).
SERVICE_SECRETS = {
    "actions": ("action_token",),
    "rasa": ("channel_secret", "action_token"),
    "console": ("console_secret", "identity_secret", "channel_secret", "metrics_token"),
}


@dataclass
class Service:
    """One child process: how to start it and how to know it is ready."""

    name: str
    command: list[str]
    health_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() ends it and nothing else
        )

    def is_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, grace: float = 10.0) -> None:
        if self.process is None:
            return
        pid = self.process.pid
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        # Workers a server forked stay in its group; make sure none outlives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if self._log:
            self._log.close()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class StackError(RuntimeError):
    """A service did not start; the message names it and shows its log tail."""


def wait_until_healthy(
    services: Mapping[str, Service], timeout: float, *, on_failure: Callable[[], None]
) -> None:
    """Wait until every started service answers its health URL.

    A service that exits, or a deadline that passes, calls ``on_failure`` (which stops what
    was started) and raises :class:`StackError` with the log tails of those concerned.
    """
    deadline = time.monotonic() + timeout
    pending = dict(services)
    while pending:
        for name, service in list(pending.items()):
            code = service.exited()
            if code is not None:
                on_failure()
                raise StackError(
                    f"{name} exited with code {code} while starting; its log "
                    f"({service.log_path}) ends with:\n{service.log_tail()}"
                )
            if service.is_healthy():
                del pending[name]
        if pending and time.monotonic() > deadline:
            names = ", ".join(pending)
            tails = "\n".join(f"--- {n}:\n{s.log_tail()}" for n, s in pending.items())
            on_failure()
            raise StackError(f"Not ready after {timeout:.0f}s: {names}\n{tails}")
        time.sleep(0.5)


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for Rasa's command line: what the YAML files expand, and quiet start-up.

    The endpoints file itself is generated from the same settings (:func:`write_endpoints`);
    the passwords it names as ``${VARIABLES}`` come from here.
    """
    return {
        "CONCIERGE_ACTION_URL": settings.action_url,
        "CONCIERGE_ACTION_TOKEN": settings.action_token,
        "CONCIERGE_CHANNEL_SECRET": settings.channel_secret,
        **secret_env(settings),
        **telegram_env(settings),
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_TELEMETRY_ENABLED": "false",
    }


class Stack:
    """The Rasa server, the action server and the console, for one ``Settings``."""

    def __init__(
        self,
        settings: Settings,
        *,
        model_path: Path = MODEL_PATH,
        services: tuple[str, ...] = ("actions", "rasa", "console"),
    ) -> None:
        self.settings = settings
        self.model_path = model_path
        self.log_dir = settings.var_dir / "logs"
        self.services = {name: self._service(name) for name in services}
        every = settings.outreach_every_seconds
        self.outreach = (
            OutreachScheduler(
                every,
                self._base_env() | outreach_variables(settings),
                self.log_dir / "outreach.log",
            )
            if every
            else None
        )

    def _base_env(self) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env.update(
            {
                "CONCIERGE_VAR_DIR": str(s.var_dir),
                "CONCIERGE_DB_URL": s.db_url,
                "CONCIERGE_TRACKER_DB_URL": s.tracker_db_url,
                "CONCIERGE_ARTIFACTS_DIR": str(s.artifacts_dir),
                "CONCIERGE_POLICY_FILE": str(s.policy_file),
                "CONCIERGE_HOST": s.host,
                "RASA_HOST": s.rasa_host,
                "ACTION_HOST": s.action_host,
                "RASA_PORT": str(s.rasa_port),
                "ACTION_PORT": str(s.action_port),
                "CONSOLE_PORT": str(s.console_port),
                "ACTION_METRICS_PORT": str(s.action_metrics_port),
                "HF_HUB_OFFLINE": "1",
                "PYTHONUNBUFFERED": "1",
                "CONCIERGE_DEMO": "1" if s.demo else "0",
                "CONCIERGE_ALLOWED_ORIGINS": ",".join(s.allowed_origins),
                "DEMO_SHOP_PORT": str(s.demo_shop_port),
                "CONCIERGE_REDIS_URL": s.redis_url,
                "CONCIERGE_BROKER_URL": s.broker_url,
                "CONCIERGE_TRUSTED_PROXIES": ",".join(s.trusted_proxies),
                "CONCIERGE_INSTANCE": s.instance_name,
            }
        )
        # The services share these secrets; a Settings built in code (tests) has its own.
        env.update({var: getattr(s, name) for name, var in SECRET_VARIABLES.items()})
        return env

    def _service(self, name: str) -> Service:
        s = self.settings
        env = self._base_env()
        # A scaled service's processes each keep their own log (rasa-2.log).
        suffix = "" if s.instance_name == "main" else f"-{s.instance_name}"
        log = self.log_dir / f"{name}{suffix}.log"
        if name == "actions":
            env["SANIC_HOST"] = s.action_host  # rasa_sdk binds 0.0.0.0 unless told otherwise
            command = [
                sys.executable,
                "-m",
                "actions",  # rasa_sdk's server plus a warm-up of the models
                "--actions",
                "actions",
                "--port",
                str(s.action_port),
            ]
            health = f"http://{s.action_host}:{s.action_port}/health"
            return Service(name, command, health, env, log)
        if name == "rasa":
            env.update(rasa_env(s))
            command = [
                str(RASA_BIN),
                "run",  # Rasa's HTTP API stays off: the console needs only the channel
                "--interface",
                s.rasa_host,
                "--port",
                str(s.rasa_port),
                "--model",
                str(self.model_path),
                "--endpoints",
                str(endpoints_path(s)),
                "--credentials",
                # credentials.yml itself unless a channel is added (Telegram).
                str(credentials_path(s)),
            ]
            return Service(name, command, s.rasa_url + RASA_HEALTH_PATH, env, log)
        if name == "console":
            # An agent's handoff replies reach Telegram customers (console/handoff/delivery.py).
            env.update(telegram_env(s))
            command = [sys.executable, "-m", "console"]
            return Service(name, command, f"{s.console_url}/healthz", env, log)
        if name == "api":
            # The models as a service for the shop's other systems (API keys, not secrets).
            # Only this process reads its address, so the scaled topology's environments
            # (deploy/compose.yml mirrors _base_env) do not carry it.
            env.update({"API_HOST": s.api_host, "API_PORT": str(s.api_port)})
            env.update({"API_RATE_PER_MINUTE": str(s.api_rate_per_minute),
                        "API_RATE_BURST": str(s.api_rate_burst)})  # fmt: skip
            command = [sys.executable, "-m", "api"]
            return Service(name, command, f"{s.api_url}/healthz", env, log)
        if name == "demo_shop":
            # The demo shop page embedding the widget from another origin (demo mode only).
            command = [sys.executable, "-m", "demo_shop.page"]
            return Service(name, command, f"{s.demo_shop_url}/healthz", env, log)
        raise ValueError(f"unknown service {name!r}")

    def start(self, timeout: float = 180.0) -> Stack:
        """Start every service and wait until each answers its health URL.

        Raises :class:`SettingsError` first when a secret a service needs is missing.
        """
        for name in self.services:
            self.settings.require(*SERVICE_SECRETS.get(name, ()))
        if "rasa" in self.services and not self.model_path.exists():
            raise StackError(f"No trained model at {self.model_path}: run `make train` first.")
        if "rasa" in self.services:
            write_endpoints(self.settings)
        for service in self.services.values():
            service.start()
        wait_until_healthy(self.services, timeout, on_failure=self.stop)
        if self.outreach is not None:
            self.outreach.start()
        return self

    def start_service(self, name: str, timeout: float = 180.0) -> None:
        """(Re)start one service and wait for it, e.g. to restart Rasa in a test."""
        service = self.services[name]
        service.stop()
        if name == "rasa":
            write_endpoints(self.settings)
        service.start()
        deadline = time.monotonic() + timeout
        while not service.is_healthy():
            if service.exited() is not None or time.monotonic() > deadline:
                raise StackError(f"{name} did not come back:\n{service.log_tail()}")
            time.sleep(0.5)

    def stop_service(self, name: str) -> None:
        self.services[name].stop()

    def stop(self) -> None:
        if self.outreach is not None:
            self.outreach.stop()
        for service in reversed(list(self.services.values())):
            service.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_until_stopped(services: Mapping[str, Service]) -> None:
    """Block until Ctrl-C, SIGTERM, or one of ``services`` stopping by itself."""
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            for name, service in services.items():
                if service.exited() is not None:
                    print(f"{name} stopped unexpectedly:\n{service.log_tail()}", file=sys.stderr)
                    stopping = True
            time.sleep(1)
    except KeyboardInterrupt:
        pass


@exits_on_settings_error
def main(argv: list[str] | None = None) -> int:
    """Start the three services, print where they answer, and stop them on Ctrl-C."""
    parser = argparse.ArgumentParser(description="Run Concierge's services until Ctrl-C.")
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="run N instances of each service on PostgreSQL, Redis and RabbitMQ behind nginx",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.scale:
        from concierge.scale import run_scaled  # the engines are only needed here

        return run_scaled(settings, args.scale, timeout=max(args.timeout, 420.0))
    services = ("actions", "rasa", "console", "api") + (("demo_shop",) if settings.demo else ())
    stack = Stack(settings, services=services)
    print("Starting the action server, the Rasa server, the console and the API ...", flush=True)
    try:
        stack.start(timeout=args.timeout)
    except StackError as exc:
        print(f"Could not start Concierge: {exc}", file=sys.stderr)
        return 1
    print(
        "\nConcierge is running.\n"
        f"  Web chat and console: {settings.console_url}/\n"
        f"  Rasa (channel only):  {settings.rasa_url}{RASA_HEALTH_PATH}\n"
        f"  Action server:        http://{settings.action_host}:{settings.action_port}/health\n"
        f"  API (API keys):       {settings.api_url}/v1/openapi.json "
        "(keys: python -m api keys create NAME --scope recommendations:read)\n"
        f"  Metrics (Prometheus): {settings.console_url}/metrics (Bearer token), "
        f"http://{settings.action_host}:{settings.action_metrics_port}/metrics\n"
        f"  Outreach:             {schedule_line(settings)}\n"
        f"  Logs:                 {stack.log_dir}/\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    # Imported here: the console's modules are only needed once the stack is up.
    from console.demo_accounts import demo_account_lines

    print("\n".join(demo_account_lines(settings)), flush=True)
    if settings.demo:
        print(
            f"Demo shop page (a shop's page embedding the chat widget): {settings.demo_shop_url}/",
            flush=True,
        )
    run_until_stopped(stack.services)
    print("\nStopping ...", flush=True)
    stack.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
