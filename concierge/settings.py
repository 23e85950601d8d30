"""Settings for every process of the main environment, read from environment variables.

One place decides the defaults (embedded SQLite files under ``var/``, loopback ports);
nothing else in the code base reads ``os.environ`` for configuration. A value that cannot
work (a port that is not a number, a database URL SQLAlchemy cannot read) stops start-up
here with a :class:`SettingsError` naming the variable, not later with a traceback from
deep inside a library; entry points wrap ``main`` in :func:`exits_on_settings_error`.

The conversation session length is not set here: Rasa reads it from the trained model, so
it lives in ``bot/domain/session.yml`` (``session_config.session_expiration_time``).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

ROOT = Path(__file__).resolve().parent.parent

# Exit status of a process stopped by its configuration (argparse uses 2 for bad usage too).
SETTINGS_EXIT_CODE = 2

_P = ParamSpec("_P")
_R = TypeVar("_R")


class SettingsError(ValueError):
    """An environment variable holds a value Concierge cannot use; the message says how to fix it."""


def exits_on_settings_error(main: Callable[_P, _R]) -> Callable[_P, _R]:
    """Wrap an entry point so bad configuration prints its message and exits 2, not a traceback."""

    @functools.wraps(main)
    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return main(*args, **kwargs)
        except SettingsError as exc:
            print(f"Concierge cannot start: {exc}", file=sys.stderr)
            raise SystemExit(SETTINGS_EXIT_CODE) from None

    return guarded


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _port_env(name: str, default: int, *, lowest: int = 1) -> int:
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


def _count_env(name: str, default: int, *, lowest: int = 1, highest: int = 1_000_000) -> int:
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


# The databases Concierge is tested on (the store and Rasa's tracker store alike).
SUPPORTED_DATABASES = ("sqlite", "postgresql")


def _db_url_env(name: str, default: str) -> str:
    """A SQLite or PostgreSQL URL SQLAlchemy can read: ``dialect[+driver]://...``."""
    raw = _env(name, default)
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


def _service_url_env(name: str, schemes: tuple[str, ...], example: str) -> str:
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


def _addresses_env(name: str) -> tuple[str, ...]:
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


# Secrets the services share, by the environment variable that carries each. Outside demo
# mode a service that needs one refuses to start without it (Settings.require); in demo
# mode (CONCIERGE_DEMO=1) missing ones are generated once into var/secrets.json.
SECRET_VARIABLES: dict[str, str] = {
    "console_secret": "CONSOLE_SECRET",
    "identity_secret": "CONCIERGE_IDENTITY_SECRET",
    "channel_secret": "CONCIERGE_CHANNEL_SECRET",
    "action_token": "CONCIERGE_ACTION_TOKEN",
    "metrics_token": "CONCIERGE_METRICS_TOKEN",
}


def _flag_env(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0 (e.g. {name}=1), got {raw!r}.")


def _origins_env(name: str) -> tuple[str, ...]:
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


def _telegram_env() -> dict[str, str]:
    """The Telegram channel's settings: all empty (channel off) or complete and usable."""
    values = {
        "TELEGRAM_BOT_TOKEN": _env("TELEGRAM_BOT_TOKEN", ""),
        "TELEGRAM_BOT_NAME": _env("TELEGRAM_BOT_NAME", ""),
        "TELEGRAM_WEBHOOK_URL": _env("TELEGRAM_WEBHOOK_URL", ""),
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
    secret = _env("TELEGRAM_SECRET_TOKEN", "")
    if secret and not _TELEGRAM_SECRET.fullmatch(secret):
        raise SettingsError(
            "TELEGRAM_SECRET_TOKEN must be 1-256 characters of letters, digits, _ and -."
        )
    api_url = _env("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
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


def _outreach_env() -> dict[str, str]:
    """Proactive outreach by e-mail: the SMTP relay, the sender, the public address of links."""
    sender = _env("OUTREACH_FROM", "Concierge demo shop <shop@localhost>")
    if "@" not in parseaddr(sender)[1]:
        raise SettingsError(
            f"OUTREACH_FROM must be an e-mail address, e.g. 'Shop <offers@shop.example>', "
            f"got {sender!r}."
        )
    user, password = _env("SMTP_USERNAME", ""), _env("SMTP_PASSWORD", "")
    if bool(user) != bool(password):
        raise SettingsError("Set SMTP_USERNAME and SMTP_PASSWORD together (or neither).")
    public = _env("CONCIERGE_PUBLIC_URL", "").rstrip("/")
    if public and (
        urlsplit(public).scheme not in ("http", "https") or not urlsplit(public).hostname
    ):
        raise SettingsError(
            "CONCIERGE_PUBLIC_URL must be the console's address as customers reach it, "
            f"e.g. https://chat.shop.example, got {public!r}."
        )
    return {
        "smtp_host": _env("SMTP_HOST", "127.0.0.1"),
        "smtp_username": user,
        "smtp_password": password,
        "outreach_from": sender,
        "public_url": public,
    }


def demo_secrets(var_dir: Path) -> dict[str, str]:
    """The demo's secrets: read from ``var/secrets.json``, created once (mode 0600)."""
    path = var_dir / "secrets.json"
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        stored = {}
    missing = [name for name in SECRET_VARIABLES if not stored.get(name)]
    if missing:
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored, indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)
    return {name: stored[name] for name in SECRET_VARIABLES}


@dataclass(frozen=True)
class Settings:
    """Where state lives and where each service listens."""

    var_dir: Path
    db_url: str
    tracker_db_url: str
    artifacts_dir: Path
    policy_file: Path
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    console_port: int = 8080
    # The action server's Prometheus figures (action latency); 0 serves none.
    action_metrics_port: int = 0
    # Signs the console's cookies and CSRF tokens.
    console_secret: str = ""
    # The shop's shared secret for the customer identities its server signs (HMAC / HS256).
    identity_secret: str = ""
    # Console -> Rasa `concierge` channel: sent in a header, compared in constant time.
    channel_secret: str = ""
    # Rasa -> action server: the action endpoint's token; the action server refuses others.
    action_token: str = ""
    # Bearer token that /metrics of the console requires.
    metrics_token: str = ""
    # CONCIERGE_DEMO=1: the customer picker, the public customer list and the demo shop page.
    demo: bool = False
    # Origins (besides the console's own) whose pages may embed the chat widget.
    allowed_origins: tuple[str, ...] = ()
    # Private bind addresses of the internal services (the console binds to `host`).
    rasa_host: str = "127.0.0.1"
    action_host: str = "127.0.0.1"
    # The demo shop page that embeds the widget from another origin (demo mode only).
    demo_shop_port: int = 8081
    # The models as a service for the shop's other systems (api/, API keys required).
    api_host: str = "127.0.0.1"
    api_port: int = 8090
    # Each API key's token bucket: refilled at this many calls a minute, holding at most
    # `api_rate_burst` (shared through Redis when redis_url is set).
    api_rate_per_minute: int = 120
    api_rate_burst: int = 20
    # Shared engines of the scaled topology; empty means the embedded default. Redis: Rasa's
    # lock store and the consoles' shared state. RabbitMQ: Rasa's event broker.
    redis_url: str = ""
    broker_url: str = ""
    # Load balancers in front of the console whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    # Which process of a scaled service this is (logs, the consoles' shared state).
    instance_name: str = "main"
    # The Telegram channel (README "Telegram"); off while telegram_token is empty.
    telegram_token: str = ""
    telegram_bot_name: str = ""
    telegram_webhook_url: str = ""
    # Telegram sends it in a header with every update; empty derives one from channel_secret.
    telegram_secret_token: str = ""
    # The Bot API's base address (a local stand-in in the tests).
    telegram_api_url: str = "https://api.telegram.org"
    # Proactive outreach by e-mail (README "Proactive outreach"): the SMTP relay, the From
    # address, and the console's public address for the links in messages (empty: console_url).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: str = ""
    outreach_from: str = "Concierge demo shop <shop@localhost>"
    public_url: str = ""

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.action_host}:{self.action_port}/webhook"

    @property
    def console_url(self) -> str:
        return f"http://{self.host}:{self.console_port}"

    @property
    def demo_shop_url(self) -> str:
        return f"http://{self.host}:{self.demo_shop_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    def require(self, *names: str) -> None:
        """Stop start-up when a secret this service needs is missing, naming its variable."""
        for name in names:
            if not getattr(self, name):
                variable = SECRET_VARIABLES[name]
                raise SettingsError(
                    f"{variable} is not set. Set it to a long random value shared by the "
                    f"services (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), "
                    "or run with CONCIERGE_DEMO=1 to use generated demo secrets."
                )

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from the environment; raises :class:`SettingsError` on unusable values."""
        var_dir = Path(_env("CONCIERGE_VAR_DIR", str(ROOT / "var"))).resolve()
        demo = _flag_env("CONCIERGE_DEMO")
        generated = demo_secrets(var_dir) if demo else {}
        secret_values = {
            name: _env(variable, "") or generated.get(name, "")
            for name, variable in SECRET_VARIABLES.items()
        }
        host = _env("CONCIERGE_HOST", "127.0.0.1")
        return cls(
            var_dir=var_dir,
            db_url=_db_url_env("CONCIERGE_DB_URL", f"sqlite:///{var_dir / 'concierge.db'}"),
            tracker_db_url=_db_url_env(
                "CONCIERGE_TRACKER_DB_URL", f"sqlite:///{var_dir / 'tracker.db'}"
            ),
            artifacts_dir=Path(
                _env("CONCIERGE_ARTIFACTS_DIR", str(var_dir / "artifacts"))
            ).resolve(),
            policy_file=Path(
                _env("CONCIERGE_POLICY_FILE", str(ROOT / "store" / "shop_policy.yml"))
            ).resolve(),
            host=host,
            rasa_port=_port_env("RASA_PORT", 5005),
            action_port=_port_env("ACTION_PORT", 5055),
            console_port=_port_env("CONSOLE_PORT", 8080),
            action_metrics_port=_port_env("ACTION_METRICS_PORT", 5056, lowest=0),
            demo=demo,
            allowed_origins=_origins_env("CONCIERGE_ALLOWED_ORIGINS"),
            rasa_host=_env("RASA_HOST", host),
            action_host=_env("ACTION_HOST", host),
            demo_shop_port=_port_env("DEMO_SHOP_PORT", 8081),
            api_host=_env("API_HOST", host),
            api_port=_port_env("API_PORT", 8090),
            api_rate_per_minute=_count_env("API_RATE_PER_MINUTE", 120),
            api_rate_burst=_count_env("API_RATE_BURST", 20),
            redis_url=_service_url_env(
                "CONCIERGE_REDIS_URL", ("redis", "rediss"), "redis://127.0.0.1:6379/0"
            ),
            broker_url=_service_url_env(
                "CONCIERGE_BROKER_URL", ("amqp", "amqps"), "amqp://user:password@127.0.0.1:5672/"
            ),
            trusted_proxies=_addresses_env("CONCIERGE_TRUSTED_PROXIES"),
            instance_name=_env("CONCIERGE_INSTANCE", "main"),
            **_telegram_env(),
            smtp_port=_port_env("SMTP_PORT", 1025),
            **_outreach_env(),
            **secret_values,
        )
