"""Local engine processes (Redis, RabbitMQ, PostgreSQL, nginx) for the scaled stack and its tests.

The scaled topology (``python -m concierge.stack --scale N``) and the load and fault tests
need real engines, not the embedded defaults, and they must be able to kill one with SIGKILL
and bring it back on the same port with the same data. Each class here runs one engine from
Debian's packages on a private loopback port with every file it writes (configuration, data,
logs, sockets, pid files) under the ``root`` folder it is given, so two stacks or two test
runs never share anything and nothing of the machine's own services is touched:

    with RedisServer(tmp / "redis") as redis:
        use(redis.url)          # redis://127.0.0.1:PORT/0
        redis.kill()            # SIGKILL, as a crash would
        redis.restart()         # same port, same data (append-only file)

``start()`` returns once the engine answers (bounded; the error carries the tail of its log),
``stop()`` ends exactly the process it started (by PID, or by its data directory for
PostgreSQL), ``kill()`` sends SIGKILL, ``restart()`` starts again after either.
:func:`missing_engines` names the binaries this machine lacks, so tests skip saying which.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

# Bounded waits: an engine that is not ready by then is reported with its log tail.
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
LOG_TAIL_CHARS = 3000

# The binaries each engine needs, by the name Debian installs them under.
REDIS_BINARY = "redis-server"


class EngineError(RuntimeError):
    """An engine could not start or stop; the message carries the tail of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing_engines() -> list[str]:
    """The engine binaries not installed here (empty when every engine can run)."""
    return [binary for binary in (REDIS_BINARY,) if shutil.which(binary) is None]


def _log_tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
    except OSError:
        return "(no log written)"


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a killed child we have not reaped)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class ChildEngine:
    """An engine run as our own child process, in the foreground, on ``127.0.0.1:port``.

    Subclasses say how to prepare the root folder, which command to run and when the engine
    answers; this class starts it, waits for it, and ends exactly that process.
    """

    name = "engine"

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log_path = self.root / f"{self.name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- what a subclass provides -------------------------------------------------------
    def _prepare(self) -> None:
        """Write configuration under ``root`` (called before every start)."""

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _environment(self) -> dict[str, str] | None:
        return None

    def _answers(self) -> bool:
        """True once the engine serves requests (by default: its port accepts connections)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

    # -- life cycle ---------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The PID of the engine's process while it runs, else None."""
        if self._process is None or not _pid_alive(self._process.pid):
            return None
        return self._process.pid

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self) -> Self:
        """Start the engine and return once it answers; raise EngineError with its log tail."""
        if self.running:
            return self
        self._reap()
        self._prepare()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _reap
        self._process = subprocess.Popen(
            self._command(),
            cwd=self.root,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group: a Ctrl-C meant for the stack does not reach it first.
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self._fail(f"exited with status {self._process.returncode} while starting")
            if self._answers():
                return
            time.sleep(0.2)
        self.kill()
        self._fail(f"did not answer on 127.0.0.1:{self.port} within {READY_TIMEOUT:.0f} s")

    def _fail(self, what: str) -> None:
        self._reap()
        raise EngineError(
            f"{self.name} {what} (root {self.root}); its log ends with:\n{_log_tail(self.log_path)}"
        )

    def stop(self) -> None:
        """End the engine politely (SIGTERM, so it saves its data), SIGKILL if it hangs."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the engine, as a crash or ``kill -9`` would; ``restart()`` brings it back."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)

    def restart(self) -> Self:
        """Start again on the same port with the same data (after stop(), kill() or a crash)."""
        self.stop()
        return self.start()

    def _reap(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            self._process = None
        if self._process is None and self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class RedisServer(ChildEngine):
    """Debian's ``redis-server`` with an append-only file, so a restart after SIGKILL keeps data.

    ``appendfsync everysec`` is Redis's own recommended trade: a crash loses at most the last
    second of writes. The lock store and the console's shared state tolerate that; nothing
    here keeps the only copy of a customer's data in Redis.
    """

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _prepare(self) -> None:
        (self.root / "redis.conf").write_text(
            "\n".join(
                [
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
                    "",
                ]
            )
        )

    def _command(self) -> list[str]:
        return [REDIS_BINARY, str(self.root / "redis.conf")]

    def _answers(self) -> bool:
        """Redis answers PING with +PONG once it has loaded its data (LOADING before)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False
