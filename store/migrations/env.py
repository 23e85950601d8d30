"""Alembic environment of the shop database: runs migrations against the URL it is given.

The URL comes from, in order: ``-x url=...`` on the command line, the ``sqlalchemy.url``
option that ``store.db.upgrade(url)`` sets, and finally ``concierge.settings``.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection, text

from store.db import make_engine, model_metadata

config = context.config
target_metadata = model_metadata()

# Every process that migrates the shop database takes this PostgreSQL advisory lock (any
# fixed number, the same everywhere; the hex spells "conc").
MIGRATION_LOCK_ID = 0x636F6E63


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from concierge.settings import Settings

    return Settings.from_env().db_url


def _configure(**kwargs: Any) -> None:
    """Alembic's configure with this project's options; ``kwargs`` go through unchanged."""
    context.configure(
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=True,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL for the migrations without connecting."""
    _configure(url=_database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _wait_for_other_migrations(connection: Connection) -> None:
    """On PostgreSQL, queue behind any other process migrating this database.

    The scaled stack starts N action servers and N consoles at once, and each migrates
    the store on start. Without a lock they all read "no version" and all create the same
    tables: every one but the first fails. Holding a transaction-scoped advisory lock, the
    next one reads the version only after the first committed, and finds nothing to do.
    (SQLite serialises writers by itself.)
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})


def run_migrations_online() -> None:
    """Connect and apply the migrations, one process at a time."""
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                _wait_for_other_migrations(connection)
                context.run_migrations()
    finally:
        engine.dispose()


# Only the command line configures logging: a programmatic upgrade() inside a server
# must not replace that server's logging set-up.
if config.cmd_opts is not None and config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
