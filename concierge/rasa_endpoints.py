"""Rasa's ``endpoints.yml``, written from the settings rather than kept as a fixed file.

Which tracker store, lock store and event broker Rasa uses depends on the URLs in the
environment (``CONCIERGE_TRACKER_DB_URL``, ``CONCIERGE_REDIS_URL``, ``CONCIERGE_BROKER_URL``),
so the file is generated into ``var/rasa/endpoints.yml`` each time a Rasa process starts:

- tracker store: Rasa's ``SQLTrackerStore`` on SQLite (the embedded default) or PostgreSQL;
- lock store: Rasa's ``RedisLockStore`` when Redis is configured (several Rasa servers must
  not process two messages of one conversation at once), else Rasa's in-memory one;
- event broker: Rasa's ``PikaEventBroker`` to RabbitMQ when a broker is configured.

Secrets (the action token, database, Redis and RabbitMQ passwords) are not written into the
file: it names ``${VARIABLES}`` that Rasa expands from the environment :func:`secret_env`
returns, so ``var/`` holds no password. Runs under Python 3.10 too (no main-env imports
beyond the settings), so a container can generate its file the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from concierge.settings import Settings, SettingsError, exits_on_settings_error

# RabbitMQ: Rasa publishes to this fanout exchange; the durable queue keeps every event for
# the shop's downstream systems, and each console binds a private queue of its own.
BROKER_EXCHANGE = "rasa-exchange"
BROKER_QUEUE = "concierge_events"
# Rasa's Redis lock keys start with this, so a Redis shared with other tools stays tidy.
LOCK_KEY_PREFIX = "concierge"

# Rasa's SQLTrackerStore that waits through a database restart instead of losing turns
# (bot/tracker_store.py); Rasa loads it by module path.
DURABLE_TRACKER_STORE = "bot.tracker_store.DurableSQLTrackerStore"

# Rasa's PikaEventBroker that also keeps publishes cancelled by a closing connection
# (bot/event_broker.py).
DURABLE_EVENT_BROKER = "bot.event_broker.DurablePikaEventBroker"
# Rasa's Redis lock tickets expire after this many seconds (its TICKET_LOCK_LIFETIME; Rasa's
# default is 60). Below the console's 30 s wait for a turn, so a conversation whose turn
# died with its Rasa server is free again before its customer's next turn gives up.
LOCK_LIFETIME_SECONDS = 25

TRACKER_PASSWORD_VARIABLE = "CONCIERGE_TRACKER_DB_PASSWORD"
REDIS_PASSWORD_VARIABLE = "CONCIERGE_REDIS_PASSWORD"
BROKER_PASSWORD_VARIABLE = "CONCIERGE_BROKER_PASSWORD"


def endpoints_path(settings: Settings) -> Path:
    return settings.var_dir / "rasa" / "endpoints.yml"


def tracker_store_config(url: str) -> dict[str, Any]:
    """Rasa's SQL tracker store section for a SQLite or PostgreSQL URL."""
    parts = urlsplit(url)
    backend, _, _driver = parts.scheme.partition("+")
    if backend == "sqlite":
        path = url.split("///", 1)[1] if "///" in url else ""
        if not path:
            raise SettingsError(
                "CONCIERGE_TRACKER_DB_URL must name a SQLite file "
                f"(sqlite:///var/tracker.db), got {url!r}."
            )
        return {"type": DURABLE_TRACKER_STORE, "dialect": "sqlite", "db": path}
    if backend in ("postgresql", "postgres"):
        # Rasa's environment has psycopg2, whatever driver the main environment names.
        config: dict[str, Any] = {
            "type": DURABLE_TRACKER_STORE,
            "dialect": "postgresql+psycopg2",
            "url": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "db": unquote(parts.path.lstrip("/")) or "rasa",
        }
        if parts.username:
            config["username"] = unquote(parts.username)
        if parts.password:
            config["password"] = f"${{{TRACKER_PASSWORD_VARIABLE}}}"
        query = dict(parse_qsl(parts.query))
        if query:
            config["query"] = query
        return config
    raise SettingsError(
        "CONCIERGE_TRACKER_DB_URL must be a SQLite or PostgreSQL URL "
        f"(sqlite:///var/tracker.db, postgresql://user:password@host/rasa), got {url!r}."
    )


def lock_store_config(url: str) -> dict[str, Any]:
    """Rasa's Redis lock store section for a ``redis://`` URL."""
    parts = urlsplit(url)
    config: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname,
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 0),
        "key_prefix": LOCK_KEY_PREFIX,
        "use_ssl": parts.scheme == "rediss",
    }
    if parts.password:
        config["password"] = f"${{{REDIS_PASSWORD_VARIABLE}}}"
    return config


def event_broker_config(url: str) -> dict[str, Any]:
    """Rasa's Pika (RabbitMQ) event broker section for an ``amqp://`` URL."""
    parts = urlsplit(url)
    config: dict[str, Any] = {
        "type": DURABLE_EVENT_BROKER,
        "url": parts.hostname,
        "port": parts.port or (5671 if parts.scheme == "amqps" else 5672),
        "username": unquote(parts.username or "guest"),
        "password": f"${{{BROKER_PASSWORD_VARIABLE}}}",
        "queues": [BROKER_QUEUE],
        "exchange_name": BROKER_EXCHANGE,
        # Rasa keeps events it could not publish and sends them once RabbitMQ is back.
        "should_keep_unpublished_messages": True,
        "connection_attempts": 20,
        "retry_delay_in_seconds": 3,
    }
    vhost = unquote(parts.path.lstrip("/"))
    if vhost:
        config["vhost"] = vhost
    return config


def endpoints_config(settings: Settings) -> dict[str, Any]:
    """The whole ``endpoints.yml`` for these settings."""
    config: dict[str, Any] = {
        # The action server refuses calls without the token. It goes in a header, not in
        # Rasa's `token:` query parameter, which would end up in access logs.
        "action_endpoint": {
            "url": "${CONCIERGE_ACTION_URL}",
            "headers": {"X-Concierge-Action-Token": "${CONCIERGE_ACTION_TOKEN}"},
        },
        "tracker_store": tracker_store_config(settings.tracker_db_url),
    }
    if settings.redis_url:
        config["lock_store"] = lock_store_config(settings.redis_url)
    if settings.broker_url:
        config["event_broker"] = event_broker_config(settings.broker_url)
    return config


def secret_env(settings: Settings) -> dict[str, str]:
    """The values of the ``${VARIABLES}`` the generated file names for passwords, and the
    lock lifetime Rasa reads from its environment."""

    def password(url: str) -> str:
        return unquote(urlsplit(url).password or "") if url else ""

    return {
        "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME_SECONDS),
        TRACKER_PASSWORD_VARIABLE: password(settings.tracker_db_url),
        REDIS_PASSWORD_VARIABLE: password(settings.redis_url),
        BROKER_PASSWORD_VARIABLE: password(settings.broker_url) or "guest",
    }


def write_endpoints(settings: Settings, path: Path | None = None) -> Path:
    """Write the file (atomically: several Rasa processes may start at once); returns its path."""
    target = path or endpoints_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Generated by concierge/rasa_endpoints.py from the settings; edits are overwritten.\n"
    )
    text = header + yaml.safe_dump(endpoints_config(settings), sort_keys=False)
    tmp = target.with_name(f".{target.name}.{id(text)}.tmp")
    tmp.write_text(text)
    tmp.replace(target)
    return target


@exits_on_settings_error
def main() -> int:
    """Print the endpoints file for the current environment (what a container writes)."""
    sys.stdout.write(yaml.safe_dump(endpoints_config(Settings.from_env()), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
