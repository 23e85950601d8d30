"""A throwaway PostgreSQL cluster on loopback, for tests of behaviour SQLite cannot show.

SQLite serialises writers (``BEGIN IMMEDIATE``), so a read-then-write race never shows on
it; PostgreSQL's READ COMMITTED lets two transactions read the same count. Tests that
must hold on the scale-out database start a cluster of their own with the server
binaries on this machine (Debian's ``postgresql`` package), and skip, naming what is
missing, where there are none. The cluster lives in a temporary folder and is stopped by
its own data directory (``pg_ctl stop``), so nothing else is touched.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import free_port

# initdb refuses to run as root; as root the cluster runs as this system user.
POSTGRES_USER = "postgres"


def server_binaries() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(candidate).parent
    return None


def unavailable_reason() -> str | None:
    """Why a throwaway cluster cannot be started here, or None when it can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install -e '.[dev]')"
    if server_binaries() is None:
        return "PostgreSQL's server binaries are not installed (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            return f"running as root and there is no {POSTGRES_USER!r} user to run the server"
    return None


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a fresh cluster; yield its SQLAlchemy URL; stop it and delete it."""
    binaries = server_binaries()
    assert binaries is not None, unavailable_reason()
    root = Path(tempfile.mkdtemp(prefix="concierge-pg-"))
    data, log = root / "data", root / "server.log"
    as_user: list[str] = []
    if os.geteuid() == 0:
        account = pwd.getpwnam(POSTGRES_USER)
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", POSTGRES_USER, "--"]
    port = free_port()

    def run(*args: str) -> None:
        try:
            subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)
        except subprocess.CalledProcessError as error:
            server_log = log.read_text() if log.exists() else ""
            stderr = error.stderr.decode(errors="replace")
            raise RuntimeError(f"{args[0]} failed: {stderr}{server_log}") from error

    pg_ctl = str(binaries / "pg_ctl")
    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "concierge", "-A", "trust",
            "-E", "UTF8", "--no-sync")  # fmt: skip
        options = f"-F -p {port} -k {root} -c listen_addresses=127.0.0.1"
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start")
        try:
            yield f"postgresql+psycopg://concierge@127.0.0.1:{port}/postgres"
        finally:
            run(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
