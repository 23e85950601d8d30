"""A local PostgreSQL cluster from Debian's server binaries, for the scaled stack and tests.

Unlike the other engines (:mod:`concierge.engines`), PostgreSQL is run the way its own tools
run it: ``initdb`` once, then ``pg_ctl start``/``pg_ctl stop -m fast`` on the data directory,
so stopping it is addressed by its data directory and never by a process name. ``initdb`` and
the server refuse to run as root; as root they run as the ``postgres`` user, which must then
be able to reach ``root`` (a folder under ``var/`` or ``/tmp``, not under a 0700 folder).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Self

from concierge.engine_process import (
    READY_TIMEOUT,
    STOP_TIMEOUT,
    Engine,
    EngineError,
    children_of,
    pid_alive,
    wait_gone,
)

POSTGRES_BINARY = "pg_ctl"
# initdb and postgres refuse to run as root; as root the cluster runs as this system user.
POSTGRES_USER = "postgres"
# The role initdb creates, and the database every cluster gets.
ROLE = "concierge"
DATABASE = "concierge"
# A killed postmaster's backends notice its death and exit; until they have, a new
# postmaster refuses the shared memory they still hold. start() waits that out.
_STILL_HELD = ("pre-existing shared memory block", "is still in use", "already exists")


def postgres_binaries() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True):
        return Path(candidate).parent
    return None


class PostgresServer(Engine):
    """A private PostgreSQL cluster on ``127.0.0.1:port``: data, socket and log under ``root``.

    Authentication is ``trust`` for the ``concierge`` role: the cluster listens on loopback
    only and holds local demo or test data, so any process on this machine may connect.
    That is fine for a private local cluster and wrong for a shared or production one.
    ``durable=False`` turns fsync off (for throwaway test clusters; a SIGKILL of the server
    still loses nothing, only a crash of the machine would).
    """

    name = "postgres"

    def __init__(self, root: Path, port: int | None = None, *, durable: bool = True) -> None:
        super().__init__(root, port)
        binaries = postgres_binaries()
        if binaries is None:
            raise EngineError(
                "PostgreSQL's server binaries are not installed "
                "(bash scripts/setup.sh --engines, or apt-get install postgresql)"
            )
        self.binaries = binaries
        self.data = self.root / "data"
        self.durable = durable
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(POSTGRES_USER)
            except KeyError:
                raise EngineError(
                    f"running as root and there is no {POSTGRES_USER!r} user to run PostgreSQL"
                ) from None
            self._as_user = ["runuser", "-u", POSTGRES_USER, "--"]

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``concierge`` database."""
        return self.url_for(DATABASE)

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{database}"

    @property
    def pid(self) -> int | None:
        """The postmaster's PID from ``postmaster.pid`` while it runs, else None."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def _serving_port(self) -> int | None:
        """The port the running postmaster listens on (line 4 of ``postmaster.pid``)."""
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n")[3])
        except (OSError, ValueError, IndexError):
            return None

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_user, str(self.binaries / tool), *args],
            capture_output=True,
            text=True,
            timeout=READY_TIMEOUT * 2,
        )

    def _initdb(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        if self._as_user:
            account = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
            reach = subprocess.run([*self._as_user, "test", "-w", str(self.root)], check=False)
            if reach.returncode != 0:
                raise EngineError(
                    f"the {POSTGRES_USER!r} user cannot write {self.root}: one of its parent "
                    "folders is closed to other users; put the cluster under var/ or /tmp"
                )
        done = self._run(
            "initdb", "-D", str(self.data), "-U", ROLE, "-A", "trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            raise EngineError(f"initdb failed in {self.data}: {done.stderr or done.stdout}")

    def start(self) -> Self:
        """Start (initialising the cluster the first time) and create the ``concierge`` db."""
        if self.running and self._serving_port() == self.port:
            return self
        # A cluster a crashed supervisor left on this data directory, on another port.
        self.stop()
        self._initdb()
        # Each scaled process keeps its own pools (2 instances of each service reach about 110
        # connections at peak), more than PostgreSQL's default of 100.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300"
        )
        if not self.durable:
            options += " -F"
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            done = self._run(
                "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log_path),
                "-w", "-t", str(int(READY_TIMEOUT)), "start",
            )  # fmt: skip
            if done.returncode == 0:
                break
            if time.monotonic() > deadline or not self._held_by_old_backends():
                raise self._error(f"did not start: {done.stderr or done.stdout}")
            time.sleep(0.5)
        self.create_database(DATABASE)
        return self

    def _held_by_old_backends(self) -> bool:
        tail = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
        return any(sign in tail for sign in _STILL_HELD)

    def create_database(self, name: str) -> str:
        """Create database ``name`` unless it exists; return its SQLAlchemy URL."""
        import psycopg
        from psycopg import sql

        conninfo = f"host=127.0.0.1 port={self.port} user={ROLE} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def stop(self) -> None:
        """Stop by data directory (``pg_ctl stop -m fast``: sessions are ended, data kept)."""
        if not self.running:
            return
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", str(int(STOP_TIMEOUT)),
            "stop",
        )  # fmt: skip
        if done.returncode != 0 and self.running:
            raise self._error(f"did not stop: {done.stderr or done.stdout}")

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would; the next start recovers from the WAL.

        Its backends notice the postmaster's death and exit on their own; this waits (bounded)
        for them so that a restart right after finds the shared memory free.
        """
        pid = self.pid
        if pid is None:
            return
        backends = children_of(pid)
        os.kill(pid, signal.SIGKILL)
        wait_gone([pid], STOP_TIMEOUT)
        wait_gone(backends, STOP_TIMEOUT)
