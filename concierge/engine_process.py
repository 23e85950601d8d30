"""The life cycle every local engine shares: start and wait until it answers, stop, kill, restart.

:mod:`concierge.engines` builds Redis, RabbitMQ, PostgreSQL and nginx on these two classes.
:class:`Engine` is the contract the scaled stack and the fault tests program against;
:class:`ChildEngine` implements it for an engine that runs in the foreground as our own
child process, so ending it means signalling exactly that PID and nothing else.
"""

from __future__ import annotations

import os
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


class EngineError(RuntimeError):
    """An engine could not start or stop; the message says which and ends with its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def log_tail(path: Path) -> str:
    """The last few thousand characters of a log, for an error message."""
    try:
        return path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
    except OSError:
        return "(no log written)"


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a killed process nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _processes_where(field: int, value: int) -> list[int]:
    """PIDs whose /proc stat field (0 = state, 1 = parent, 2 = process group) is ``value``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[field]) == value:
                    found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


def children_of(pid: int) -> list[int]:
    """The PIDs whose parent is ``pid``."""
    return _processes_where(1, pid)


def group_of(pgid: int) -> list[int]:
    """The PIDs in process group ``pgid``."""
    return _processes_where(2, pgid)


def wait_gone(pids: list[int], timeout: float) -> bool:
    """Wait until none of ``pids`` is alive; False when some still are after ``timeout``."""
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Engine:
    """One engine on ``127.0.0.1:port`` with every file under ``root``.

    ``start()`` returns once it answers, ``stop()`` ends it politely, ``kill()`` sends SIGKILL
    as a crash would, ``restart()`` starts it again on the same port with the same data.
    """

    name = "engine"

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        # A port we chose may be taken by someone else before the engine first binds it;
        # then the first start() chooses again. A port the caller gave, or one the engine
        # has served on (a restart must come back where its clients look), never changes.
        self.chose_port = port is None
        self._has_run = False
        self.log_path = self.root / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        """The PID of the engine's main process while it runs, else None."""
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError

    def restart(self) -> Self:
        """Start again on the same port with the same data (after stop(), kill() or a crash)."""
        self.stop()
        return self.start()

    def _error(self, what: str) -> EngineError:
        return EngineError(
            f"{self.name} {what} (files in {self.root}); its log ends with:\n"
            f"{log_tail(self.log_path)}"
        )

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class ChildEngine(Engine):
    """An engine run in the foreground as our own child process.

    Subclasses say how to prepare the root folder, which command to run and when the engine
    answers; this class starts it, waits for it, and signals exactly that process.
    """

    def __init__(self, root: Path, port: int | None = None) -> None:
        super().__init__(root, port)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- what a subclass provides -------------------------------------------------------
    def _prepare(self) -> None:
        """Write configuration under ``root`` (called before every start)."""

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _environment(self) -> dict[str, str] | None:
        return None

    def _ports(self) -> list[int]:
        """The loopback ports the engine listens on."""
        return [self.port]

    def _choose_ports(self) -> None:
        """Choose free ports again (the ones chosen were taken before the engine bound them)."""
        self.port = free_port()

    def _answers(self) -> bool:
        """True once the engine serves requests (by default: its ports accept connections)."""
        return all(port_accepts(port) for port in self._ports())

    def _after_stop(self) -> None:
        """End helpers the engine needed (called after every stop and kill)."""

    # -- life cycle ---------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        if self._process is None or not pid_alive(self._process.pid):
            return None
        return self._process.pid

    def start(self) -> Self:
        """Start the engine and return once it answers; raise EngineError with its log tail."""
        if self.running:
            return self
        self._reap()
        self._end_leftover()
        # Someone else's server on our port would answer for an engine that failed to bind.
        busy = [port for port in self._ports() if port_accepts(port)]
        for _ in range(5):
            if not busy or not self.chose_port or self._has_run:
                break
            self._choose_ports()
            busy = [port for port in self._ports() if port_accepts(port)]
        if busy:
            raise EngineError(
                f"{self.name} cannot start: another process listens on 127.0.0.1:{busy[0]}"
            )
        self._prepare()
        self._has_run = True
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _reap
        self._process = subprocess.Popen(
            self._command(),
            # The engine's working folder is its root: that is how a later start recognises
            # an instance a crashed supervisor left behind (see _end_leftover).
            cwd=self.root,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own session: a Ctrl-C meant for the stack reaches it only through stop().
            start_new_session=True,
        )
        self._pid_file.write_text(f"{self._process.pid}\n")
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._answers():
            if self._process.poll() is not None:
                status = self._process.returncode
                self.stop()
                raise self._error(f"exited with status {status} while starting")
            if time.monotonic() > deadline:
                self.kill()
                raise self._error(f"did not answer within {READY_TIMEOUT:.0f} s")
            time.sleep(0.2)
        return self

    @property
    def _pid_file(self) -> Path:
        return self.root / f"{self.name}.child-pid"

    def _end_leftover(self) -> None:
        """End an instance a previous, crashed supervisor left running on this root.

        Its PID is in the root's pid file; it counts as ours only while it leads its own
        process group and works in this root (a recycled PID belongs to someone else and is
        left alone). Redis and nginx overwrite their environment with their process title,
        so the working folder is the mark that survives.
        """
        try:
            pid = int(self._pid_file.read_text())
            mine = Path(os.readlink(f"/proc/{pid}/cwd")) == self.root and os.getpgid(pid) == pid
        except (OSError, ValueError):
            return
        if not (mine and pid_alive(pid)):
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            if wait_gone([pid], STOP_TIMEOUT):
                return

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
        self._after_stop()

    def kill(self) -> None:
        """SIGKILL the engine, as a crash or ``kill -9`` would; ``restart()`` brings it back.

        The whole process group goes: nginx's workers outlive a killed master and would keep
        its port, so a crash of the engine is the crash of everything it forked. The group is
        signalled while its unreaped leader still reserves the group id.
        """
        process = self._process
        if process is not None and process.poll() is None:
            members = group_of(process.pid)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
            # A large process (RabbitMQ's VM) takes a moment longer to die than its parent,
            # and its listening sockets outlive it briefly while the kernel closes them.
            wait_gone(members, STOP_TIMEOUT)
            deadline = time.monotonic() + STOP_TIMEOUT
            while any(port_accepts(port) for port in self._ports()):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)

    def _reap(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            self._process = None
        if self._process is None and self._log is not None:
            self._log.close()
            self._log = None
