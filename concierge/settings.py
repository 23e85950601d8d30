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
import json
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

from concierge.env_values import (
    SettingsError,
    addresses_env,
    choice_env,
    count_env,
    db_url_env,
    env,
    flag_env,
    origins_env,
    outreach_env,
    port_env,
    service_url_env,
    telegram_env,
)
from recsys.names import DEFAULT_RECOMMENDER, RECOMMENDER_NAMES

ROOT = Path(__file__).resolve().parent.parent

# Exit status of a process stopped by its configuration (argparse uses 2 for bad usage too).
SETTINGS_EXIT_CODE = 2

_P = ParamSpec("_P")
_R = TypeVar("_R")


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
    # The stack runs outreach every so many seconds (concierge/outreach_scheduler.py); 0: off.
    outreach_every_seconds: int = 0
    # The recommender training fits and serving answers with (recsys/registry.py).
    recommender: str = DEFAULT_RECOMMENDER

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
        var_dir = Path(env("CONCIERGE_VAR_DIR", str(ROOT / "var"))).resolve()
        demo = flag_env("CONCIERGE_DEMO")
        generated = demo_secrets(var_dir) if demo else {}
        secret_values = {
            name: env(variable, "") or generated.get(name, "")
            for name, variable in SECRET_VARIABLES.items()
        }
        host = env("CONCIERGE_HOST", "127.0.0.1")
        return cls(
            var_dir=var_dir,
            db_url=db_url_env("CONCIERGE_DB_URL", f"sqlite:///{var_dir / 'concierge.db'}"),
            tracker_db_url=db_url_env(
                "CONCIERGE_TRACKER_DB_URL", f"sqlite:///{var_dir / 'tracker.db'}"
            ),
            artifacts_dir=Path(
                env("CONCIERGE_ARTIFACTS_DIR", str(var_dir / "artifacts"))
            ).resolve(),
            policy_file=Path(
                env("CONCIERGE_POLICY_FILE", str(ROOT / "store" / "shop_policy.yml"))
            ).resolve(),
            host=host,
            rasa_port=port_env("RASA_PORT", 5005),
            action_port=port_env("ACTION_PORT", 5055),
            console_port=port_env("CONSOLE_PORT", 8080),
            action_metrics_port=port_env("ACTION_METRICS_PORT", 5056, lowest=0),
            demo=demo,
            allowed_origins=origins_env("CONCIERGE_ALLOWED_ORIGINS"),
            rasa_host=env("RASA_HOST", host),
            action_host=env("ACTION_HOST", host),
            demo_shop_port=port_env("DEMO_SHOP_PORT", 8081),
            api_host=env("API_HOST", host),
            api_port=port_env("API_PORT", 8090),
            api_rate_per_minute=count_env("API_RATE_PER_MINUTE", 120),
            api_rate_burst=count_env("API_RATE_BURST", 20),
            redis_url=service_url_env(
                "CONCIERGE_REDIS_URL", ("redis", "rediss"), "redis://127.0.0.1:6379/0"
            ),
            broker_url=service_url_env(
                "CONCIERGE_BROKER_URL", ("amqp", "amqps"), "amqp://user:password@127.0.0.1:5672/"
            ),
            trusted_proxies=addresses_env("CONCIERGE_TRUSTED_PROXIES"),
            instance_name=env("CONCIERGE_INSTANCE", "main"),
            **telegram_env(),
            smtp_port=port_env("SMTP_PORT", 1025),
            **outreach_env(),
            outreach_every_seconds=count_env(
                "OUTREACH_EVERY_SECONDS", 60 if demo else 0, lowest=0, highest=86_400
            ),
            recommender=choice_env("CONCIERGE_RECOMMENDER", RECOMMENDER_NAMES, DEFAULT_RECOMMENDER),
            **secret_values,
        )
