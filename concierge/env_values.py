"""Reading one environment variable into a value Concierge can use, or a clear error.

Each reader takes the variable's name (and its default) and returns the parsed value; a
value that cannot work raises :class:`SettingsError` naming the variable and how to fix it.
``concierge.settings`` builds its ``Settings`` from these; nothing else reads them.
"""

from __future__ import annotations

import ipaddress
import os
import re
from email.utils import parseaddr
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError


class SettingsError(ValueError):
    """An environment variable holds a value Concierge cannot use; the message says how to fix it."""


def env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def port_env(name: str, default: int, *, lowest: int = 1) -> int:
    """A TCP port from the environment; ``lowest=0`` where 0 means "serve none"."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not lowest <= port <= 65535:
        raise SettingsError(
            f"{name} must be a port number from {lowest} to 65535 "
            f"(e.g. {name}={default}), got {raw!r}."
        )
    return port


def count_env(name: str, default: int, *, lowest: int = 1, highest: int = 1_000_000) -> int:
    """A whole number from the environment (a rate, a size), within ``lowest``..``highest``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lowest - 1
    if not lowest <= value <= highest:
        raise SettingsError(
            f"{name} must be a whole number from {lowest} to {highest} "
            f"(e.g. {name}={default}), got {raw!r}."
        )
    return value


def choice_env(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices`` from the environment (a model's name, say), ``default`` if unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}.")
    return raw


# The databases Concierge is tested on (the store and Rasa's tracker store alike).
SUPPORTED_DATABASES = ("sqlite", "postgresql")


def db_url_env(name: str, default: str) -> str:
    """A SQLite or PostgreSQL URL SQLAlchemy can read: ``dialect[+driver]://...``."""
    raw = env(name, default)
    example = "sqlite:///var/concierge.db or postgresql+psycopg://user:password@host/concierge"
    try:
        url = make_url(raw)
        if url.get_backend_name() not in SUPPORTED_DATABASES:
            raise SettingsError(
                f"{name} must be a SQLite or PostgreSQL URL such as {example}, got {raw!r}."
            )
        if url.drivername in ("postgresql+psycopg", "postgresql+psycopg2"):
            # Each environment opens PostgreSQL with its own driver (store.db.main_env_url:
            # psycopg 3; concierge.rasa_endpoints: psycopg2), so either is accepted where this
            # SQLAlchemy lacks its dialect (Rasa's SQLAlchemy 1.4 has none for psycopg 3).
            url = url.set(drivername="postgresql")
        url.get_dialect()
    except ArgumentError:
        raise SettingsError(
            f"{name} must be a database URL such as {example}, got {raw!r}."
        ) from None
    except NoSuchModuleError:
        dialect = raw.split("://", 1)[0]
        raise SettingsError(
            f"{name} names a database SQLAlchemy does not know ({dialect!r}); "
            f"use a URL such as {example}, got {raw!r}."
        ) from None
    return raw


def service_url_env(name: str, schemes: tuple[str, ...], example: str) -> str:
    """An optional URL of a shared engine (Redis, RabbitMQ); empty means the embedded default."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parsed = urlsplit(raw)
    try:
        port = parsed.port  # raises ValueError on a port that is not a number
    except ValueError:
        port = -1
    if parsed.scheme not in schemes or not parsed.hostname or port == -1:
        raise SettingsError(
            f"{name} must be a URL such as {example} ({' or '.join(schemes)}), got {raw!r}."
        )
    return raw


def addresses_env(name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses (the load balancers whose forwarded address is believed)."""
    found = []
    for item in os.environ.get(name, "").split(","):
        address = item.strip()
        if not address:
            continue
        try:
            found.append(str(ipaddress.ip_address(address)))
        except ValueError:
            raise SettingsError(
                f"{name} must list IP addresses like 127.0.0.1,10.0.0.5, got {address!r}."
            ) from None
    return tuple(found)


def flag_env(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0 (e.g. {name}=1), got {raw!r}.")


def origins_env(name: str) -> tuple[str, ...]:
    """Comma-separated web origins (``scheme://host[:port]``), as browsers send them."""
    origins = []
    for item in os.environ.get(name, "").split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        scheme, sep, rest = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise SettingsError(
                f"{name} must list origins like https://shop.example,http://127.0.0.1:8081 "
                f"(scheme and host, no path), got {origin!r}."
            )
        origins.append(origin)
    return tuple(origins)


# Telegram's webhook secret: 1-256 characters of A-Z, a-z, 0-9, _ and - (Bot API setWebhook).
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def telegram_env() -> dict[str, str]:
    """The Telegram channel's settings: all empty (channel off) or complete and usable."""
    values = {
        "TELEGRAM_BOT_TOKEN": env("TELEGRAM_BOT_TOKEN", ""),
        "TELEGRAM_BOT_NAME": env("TELEGRAM_BOT_NAME", ""),
        "TELEGRAM_WEBHOOK_URL": env("TELEGRAM_WEBHOOK_URL", ""),
    }
    if not any(values.values()):
        return {}
    missing = [name for name, value in values.items() if not value]
    if missing:
        given = ", ".join(n for n in values if n not in missing)
        raise SettingsError(
            f"The Telegram channel needs {', '.join(missing)} too (it is on because "
            f"{given} is set); see README 'Telegram'."
        )
    token, name, webhook = values.values()
    if ":" not in token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN must be the token BotFather gave, like 123456:ABC-..."
        )
    if urlsplit(webhook).scheme != "https" or not urlsplit(webhook).hostname:
        raise SettingsError(
            "TELEGRAM_WEBHOOK_URL must be the public https:// address Telegram posts to, e.g. "
            f"https://chat.shop.example/webhooks/telegram/webhook, got {webhook!r}."
        )
    secret = env("TELEGRAM_SECRET_TOKEN", "")
    if secret and not _TELEGRAM_SECRET.fullmatch(secret):
        raise SettingsError(
            "TELEGRAM_SECRET_TOKEN must be 1-256 characters of letters, digits, _ and -."
        )
    api_url = env("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
    if urlsplit(api_url).scheme not in ("http", "https") or not urlsplit(api_url).hostname:
        raise SettingsError(
            f"TELEGRAM_API_URL must be an http(s) URL like https://api.telegram.org, got {api_url!r}."
        )
    return {
        "telegram_token": token,
        "telegram_bot_name": name.removeprefix("@"),
        "telegram_webhook_url": webhook,
        "telegram_secret_token": secret,
        "telegram_api_url": api_url,
    }


def outreach_env() -> dict[str, str]:
    """Proactive outreach by e-mail: the SMTP relay, the sender, the public address of links."""
    sender = env("OUTREACH_FROM", "Concierge demo shop <shop@localhost>")
    if "@" not in parseaddr(sender)[1]:
        raise SettingsError(
            f"OUTREACH_FROM must be an e-mail address, e.g. 'Shop <offers@shop.example>', "
            f"got {sender!r}."
        )
    user, password = env("SMTP_USERNAME", ""), env("SMTP_PASSWORD", "")
    if bool(user) != bool(password):
        raise SettingsError("Set SMTP_USERNAME and SMTP_PASSWORD together (or neither).")
    public = env("CONCIERGE_PUBLIC_URL", "").rstrip("/")
    if public and (
        urlsplit(public).scheme not in ("http", "https") or not urlsplit(public).hostname
    ):
        raise SettingsError(
            "CONCIERGE_PUBLIC_URL must be the console's address as customers reach it, "
            f"e.g. https://chat.shop.example, got {public!r}."
        )
    return {
        "smtp_host": env("SMTP_HOST", "127.0.0.1"),
        "smtp_username": user,
        "smtp_password": password,
        "outreach_from": sender,
        "public_url": public,
    }
