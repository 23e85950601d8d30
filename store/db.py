"""Engines, sessions and schema migrations for the shop database.

Engines are made by a function from a URL (never at import time). SQLite files get WAL
journaling, enforced foreign keys and a busy timeout, so the action server and the console
can share one file; transactions that must read-then-write atomically can ask for
``BEGIN IMMEDIATE`` with ``execution_options={"sqlite_immediate": True}``.

PostgreSQL (the scaled topology) is reached with psycopg 3, the only PostgreSQL driver of
the main environment: :func:`main_env_url` maps the URLs other tools write (Rasa's
``postgresql://`` means psycopg2 to SQLAlchemy 1.4) onto it, and its engines check a
pooled connection before use, so a server restart costs no customer's request.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

STORE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = STORE_DIR / "alembic.ini"
MIGRATIONS_DIR = STORE_DIR / "migrations"

Clock = Callable[[], datetime]

# Every module that declares tables on ``store.models.Base``. One Alembic history covers
# them all, so the migration environment and the drift check must import each of them;
# a module left out here would look like tables to drop.
MODEL_MODULES = (
    "store.models",
    "promotions.models",
    "console.models",
    "store.api_keys",
    "store.link_codes",
    "store.api_idempotency",
)

# Long enough for a console write and an action write to queue behind each other.
SQLITE_BUSY_TIMEOUT_MS = 10_000

# A server's pool per process: an action server runs its actions in threads (one per
# concurrent turn), a console serves many requests; N processes x (size + overflow) must
# stay under PostgreSQL's max_connections (100 by default) with room for Rasa's own pool.
POSTGRES_POOL_SIZE = 5
POSTGRES_MAX_OVERFLOW = 5
# A request waits this long for a pooled connection before it is told the store is busy.
POSTGRES_POOL_TIMEOUT_S = 10
# A connection attempt to a server that is down fails after this, not after the kernel's
# TCP timeout: the customer's apology should not wait minutes.
POSTGRES_CONNECT_TIMEOUT_S = 5

# The PostgreSQL drivers other tools name, and the one this environment has.
_POSTGRES_BACKENDS = ("postgresql", "postgres")
_MAIN_ENV_POSTGRES_DRIVER = "psycopg"


def main_env_url(url: str) -> str:
    """``url`` with its PostgreSQL driver set to psycopg 3, the one the main env has.

    Rasa's environment reads ``postgresql://`` and ``postgresql+psycopg2://`` with psycopg2;
    the same URL must open here too (the tracker store is shared). Other URLs are returned
    unchanged, and so is the rest of a PostgreSQL URL (user, password, host, query).
    """
    scheme, sep, rest = url.partition("://")
    backend, _, driver = scheme.partition("+")
    if not sep or backend not in _POSTGRES_BACKENDS or driver == _MAIN_ENV_POSTGRES_DRIVER:
        return url
    return f"postgresql+{_MAIN_ENV_POSTGRES_DRIVER}://{rest}"


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (any driver)."""
    return make_url(url).get_backend_name() == "postgresql"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    PostgreSQL gets psycopg 3 (:func:`main_env_url`), a bounded pool and a liveness check
    of each connection taken from it (``pool_pre_ping``): after a server restart the dead
    connections are replaced instead of failing the next requests.
    """
    # Errors are logged; without this their text repeats the statement's values, which are
    # customers' names, e-mails and messages (logs carry ids, not personal data).
    kwargs.setdefault("hide_parameters", True)
    url = main_env_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, **(postgres_engine_options() | kwargs))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, **kwargs)

    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    _configure_sqlite(engine, wal=not in_memory)
    return engine


def postgres_engine_options() -> dict[str, Any]:
    """The pool and connection options of every PostgreSQL engine of the main environment."""
    return {
        "pool_pre_ping": True,
        "pool_size": POSTGRES_POOL_SIZE,
        "max_overflow": POSTGRES_MAX_OVERFLOW,
        "pool_timeout": POSTGRES_POOL_TIMEOUT_S,
        "connect_args": {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S},
    }


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that SQLAlchemy's
        # BEGIN (below) is the one that runs: otherwise pysqlite delays BEGIN until the
        # first write and a read-then-write is not atomic.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def model_metadata() -> MetaData:
    """The metadata of every table the migrations manage (imports MODEL_MODULES)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from store.models import Base

    return Base.metadata


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    """The Alembic configuration of ``store/migrations`` pointed at ``url``."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ``%`` is ConfigParser's interpolation character; URLs may contain it (passwords).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run ``alembic upgrade head`` (or up to ``revision``) against ``url``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def utcnow() -> datetime:
    """The current time in UTC, naive, as the database stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def writing(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A writing unit of work; on SQLite it starts with BEGIN IMMEDIATE.

    A deferred transaction that reads first and writes later fails at once with "database
    is locked" when another connection committed in between (its WAL snapshot is stale);
    taking the write lock up front makes it wait its turn instead.
    """
    with sessions() as s, s.begin():
        s.connection(execution_options={"sqlite_immediate": True})
        yield s


class UnitOfWork:
    """One session per operation: the base of the repositories."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self._sessions = session_factory
        self._clock = clock

    def close(self) -> None:
        """Release the database connections of this repository's engine."""
        bind = self._sessions.kw.get("bind")
        if bind is not None:
            bind.dispose()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with writing(self._sessions) as s:
            yield s
