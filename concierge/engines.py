"""Local engine processes (Redis, RabbitMQ, PostgreSQL, nginx) for the scaled stack and its tests.

The scaled topology (``python -m concierge.stack --scale N``) and the load and fault tests
need real engines, not the embedded defaults, and they must be able to kill one with SIGKILL
and bring it back on the same port with the same data. Each class here runs one engine from
Debian's packages on a private loopback port with every file it writes (configuration, data,
logs, sockets, pid files) under the ``root`` folder it is given, so two stacks or two test
runs never share anything and nothing of the machine's own services is touched:

    with RedisServer(var / "engines" / "redis") as redis:
        use(redis.url)          # redis://127.0.0.1:PORT/0
        redis.kill()            # SIGKILL, as a crash would
        redis.restart()         # same port, same data (append-only file)

``start()`` returns once the engine answers (bounded; the error ends with its log),
``stop()`` ends exactly what it started (by PID, or by its data directory for PostgreSQL),
``kill()`` sends SIGKILL, ``restart()`` starts again after either. :func:`missing_engines`
names the binaries this machine lacks, so tests skip saying which;
``bash scripts/setup.sh --engines`` installs them. The nginx configuration of the scaled
stack comes from ``deploy/nginx.conf.template`` through :func:`render_nginx_config`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from string import Template

from concierge.engine_process import (
    ChildEngine,
    EngineError,
    children_of,
    free_port,
)
from concierge.postgres_server import POSTGRES_BINARY, PostgresServer, postgres_binaries
from concierge.settings import ROOT

__all__ = [
    "NGINX_BINARY",
    "POSTGRES_BINARY",
    "RABBIT_BINARY",
    "REDIS_BINARY",
    "EngineError",
    "Nginx",
    "PostgresServer",
    "RabbitServer",
    "RedisServer",
    "free_port",
    "missing_engines",
    "render_nginx_config",
]

# The binaries each engine needs, by the name Debian installs them under.
REDIS_BINARY = "redis-server"
RABBIT_BINARY = "rabbitmq-server"
NGINX_BINARY = "nginx"

# Debian's /usr/sbin/rabbitmq-server is a wrapper that, as root, runs the server through
# `su rabbitmq` (a second process between us and the node, and the package's own folders).
# The script it wraps starts the node with our environment and `exec`s it, so the node is
# our child and its PID is the one we signal.
RABBIT_SCRIPTS = Path("/usr/lib/rabbitmq/bin")

NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


def missing_engines() -> list[str]:
    """The engine binaries not installed here (empty when every engine can run)."""
    missing = [b for b in (REDIS_BINARY, RABBIT_BINARY, NGINX_BINARY) if _binary(b) is None]
    if postgres_binaries() is None:
        missing.append(POSTGRES_BINARY)
    return missing


def _binary(name: str) -> str | None:
    """The path of ``name`` on PATH or in /usr/sbin (not on a non-root user's PATH)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    return found


class RedisServer(ChildEngine):
    """Debian's ``redis-server`` with an append-only file, so a restart after SIGKILL keeps data.

    ``appendfsync everysec`` is Redis's own recommended trade: a crash loses at most the last
    second of writes. The lock store and the console's shared state tolerate that; nothing
    keeps the only copy of a customer's data in Redis.
    """

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _prepare(self) -> None:
        lines = [
            "bind 127.0.0.1",
            f"port {self.port}",
            "protected-mode yes",
            "daemonize no",
            f'dir "{self.root}"',
            f'pidfile "{self.root / "redis.pid"}"',
            'logfile ""',
            "appendonly yes",
            "appendfsync everysec",
            "save 60 1",
        ]
        (self.root / "redis.conf").write_text("\n".join(lines) + "\n")

    def _command(self) -> list[str]:
        return [_binary(REDIS_BINARY) or REDIS_BINARY, str(self.root / "redis.conf")]

    def _answers(self) -> bool:
        """Redis answers PING with +PONG once it has loaded its data (-LOADING before)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


class RabbitServer(ChildEngine):
    """Debian's RabbitMQ as a node of its own, ``concierge@localhost`` on a private epmd.

    Everything a node shares by default on a machine is made private: its own ``epmd`` (the
    Erlang port mapper, started here as our child on a private port and ended with the node,
    so the machine's epmd and other nodes are never touched), distribution port, Erlang
    cookie (``HOME`` is ``root``), database, logs and configuration (so /etc/rabbitmq is not
    read). AMQP and distribution listen on 127.0.0.1 only; the management plugin is off.
    The ``guest`` account RabbitMQ allows from loopback only is the one the URL uses.
    """

    name = "rabbitmq"

    def __init__(self, root: Path, port: int | None = None) -> None:
        super().__init__(root, port)
        # The name is fixed, not made from the port: names only need to be unique per epmd,
        # each node has its own, and RabbitMQ keeps its database under the node's name, so
        # a stack started again on new ports finds its durable queues and messages.
        self.node = "concierge@localhost"
        self._choose_private_ports()
        self._epmd: ChildEngine | None = None

    def _choose_private_ports(self) -> None:
        self.epmd_port = free_port()
        self.dist_port = free_port()
        # The command-line tools connect from a port range of their own (RabbitMQ's default
        # is dist_port + 10000, which can pass 65535 for a high dist port).
        self._cli_ports = min(free_port(), 65000)

    def _choose_ports(self) -> None:
        super()._choose_ports()
        self._choose_private_ports()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        """The Erlang VM's PID (RabbitMQ's start script stays in front of it to relay signals)."""
        script = super().pid
        if script is None:
            return None
        vm = children_of(script)
        return vm[0] if vm else script

    @property
    def epmd_pid(self) -> int | None:
        """The PID of this node's own Erlang port mapper while it runs."""
        return self._epmd.pid if self._epmd is not None else None

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self.root),
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CTL_DIST_PORT_MIN=str(self._cli_ports),
            RABBITMQ_CTL_DIST_PORT_MAX=str(self._cli_ports + 10),
            ERL_EPMD_PORT=str(self.epmd_port),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_CONF_ENV_FILE=str(self.root / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(self.root / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.root / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.root / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.root / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.root / "log"),
            RABBITMQ_PID_FILE=str(self.root / "rabbitmq.pid"),
            RABBITMQ_LOGS="-",
        )
        return env

    def _prepare(self) -> None:
        (self.root / "rabbitmq-env.conf").write_text("# the environment comes from Concierge\n")
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users.guest = true\n"
        )
        (self.root / "advanced.config").write_text(
            "[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].\n"
        )
        (self.root / "enabled_plugins").write_text("[].\n")
        if self._epmd is None or not self._epmd.running:
            self._epmd = _Epmd(self.root / "epmd", self.epmd_port).start()

    def _command(self) -> list[str]:
        return [self._script(RABBIT_BINARY)]

    def _script(self, tool: str) -> str:
        private = RABBIT_SCRIPTS / tool
        return str(private) if private.exists() else _binary(tool) or tool

    def _answers(self) -> bool:
        """The node accepts AMQP once it has booted: it answers the protocol header."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2.0) as sock:
                sock.sendall(b"AMQP\x00\x00\x09\x01")
                frame = sock.recv(64)
        except OSError:
            return False
        # A method frame on channel 0 carrying Connection.Start (class 10, method 10).
        return frame[:1] == b"\x01" and frame[7:11] == b"\x00\x0a\x00\x0a"

    def _after_stop(self) -> None:
        if self._epmd is not None:
            self._epmd.stop()

    def ctl(self, *args: str, tool: str = "rabbitmqctl", timeout: float = 60.0) -> str:
        """Run a RabbitMQ command-line tool against this node; its output, or EngineError."""
        done = subprocess.run(
            [self._script(tool), "-n", self.node, *args],
            env=self._environment(),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise EngineError(f"{tool} {' '.join(args)} failed: {done.stderr or done.stdout}")
        return done.stdout


class _Epmd(ChildEngine):
    """The Erlang port mapper of one RabbitMQ node, in the foreground on a private port."""

    name = "epmd"

    def _command(self) -> list[str]:
        return [_binary("epmd") or "epmd", "-port", str(self.port), "-address", "127.0.0.1"]


class Nginx(ChildEngine):
    """nginx in the foreground with ``config_text`` as its configuration, files under ``root``.

    It is ready when every ``listen 127.0.0.1:PORT`` of the configuration accepts connections.
    As root, nginx's workers run as ``nobody`` and nginx itself gives them its temp folders.
    """

    name = "nginx"

    def __init__(self, root: Path, config_text: str) -> None:
        self.ports = [int(p) for p in re.findall(r"^\s*listen\s+[\d.]+:(\d+)", config_text, re.M)]
        if not self.ports:
            raise ValueError("the nginx configuration has no 'listen 127.0.0.1:PORT' line")
        super().__init__(root, self.ports[0])
        self.config_text = config_text

    def _prepare(self) -> None:
        (self.root / "temp").mkdir(exist_ok=True)
        (self.root / "nginx.conf").write_text(self.config_text)

    def _command(self) -> list[str]:
        return [
            _binary(NGINX_BINARY) or NGINX_BINARY,
            "-p", f"{self.root}/",
            "-c", str(self.root / "nginx.conf"),
            "-e", str(self.log_path),
            "-g", "daemon off;",
        ]  # fmt: skip

    def _ports(self) -> list[int]:
        return self.ports


class _NginxTemplate(Template):
    # nginx's own variables start with `$`; the template's placeholders use `@`.
    delimiter = "@"


def render_nginx_config(
    listen_rasa: int,
    rasa_upstreams: list[str],
    listen_console: int,
    console_upstreams: list[str],
    listen_actions: int,
    action_upstreams: list[str],
    root: Path,
) -> str:
    """The scaled stack's nginx configuration: one load balancer per scaled service.

    Upstreams are ``host:port`` strings; ``root`` holds nginx's pid file, logs and temp files.
    """
    groups = {"rasa": rasa_upstreams, "console": console_upstreams, "actions": action_upstreams}
    for service, upstreams in groups.items():
        if not upstreams:
            raise ValueError(f"no {service} instance to balance")

    def servers(upstreams: list[str]) -> str:
        return "\n".join(f"        server {u} max_fails=1 fail_timeout=5s;" for u in upstreams)

    root = Path(root).resolve()
    return _NginxTemplate(NGINX_TEMPLATE.read_text()).substitute(
        root=root,
        log=root / "nginx.log",
        listen_rasa=listen_rasa,
        listen_console=listen_console,
        listen_actions=listen_actions,
        rasa_servers=servers(rasa_upstreams),
        console_servers=servers(console_upstreams),
        action_servers=servers(action_upstreams),
    )
