"""A throwaway PostgreSQL cluster on loopback, for tests of behaviour SQLite cannot show.

SQLite serialises writers (``BEGIN IMMEDIATE``), so a read-then-write race never shows on
it; PostgreSQL's READ COMMITTED lets two transactions read the same count. Tests that
must hold on the scale-out database start a cluster of their own with the server
binaries on this machine (Debian's ``postgresql`` package, run by
:class:`concierge.engines.PostgresServer`), and skip, naming what is missing, where there
are none. The cluster lives in a temporary folder and is stopped by its own data directory
(``pg_ctl stop``), so nothing else is touched.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from concierge.postgres_server import POSTGRES_USER, PostgresServer, postgres_binaries


def server_binaries() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    return postgres_binaries()


def unavailable_reason() -> str | None:
    """Why a throwaway cluster cannot be started here, or None when it can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install -e '.[scale]')"
    if server_binaries() is None:
        return "PostgreSQL's server binaries are not installed (bash scripts/setup.sh --engines)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            return f"running as root and there is no {POSTGRES_USER!r} user to run the server"
    return None


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a fresh cluster; yield the SQLAlchemy URL of its ``postgres`` database; stop it
    and delete it. fsync is off: the cluster dies with the test."""
    # /tmp itself, not pytest's tmp_path: as root the server runs as `postgres`, which
    # cannot enter pytest's owner-only folder.
    root = Path(tempfile.mkdtemp(prefix="concierge-pg-"))
    try:
        with PostgresServer(root, durable=False) as server:
            yield server.url_for("postgres")
    finally:
        shutil.rmtree(root, ignore_errors=True)
