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
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

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


def _db_url_env(name: str, default: str) -> str:
    """A database URL SQLAlchemy can open: ``dialect[+driver]://...`` with a known dialect."""
    raw = _env(name, default)
    example = "sqlite:///var/concierge.db or postgresql+psycopg://user:password@host/concierge"
    try:
        make_url(raw).get_dialect()
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
    # Signs the web chat cookie; empty means a random secret per console start.
    console_secret: str = ""

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"

    @property
    def console_url(self) -> str:
        return f"http://{self.host}:{self.console_port}"

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from the environment; raises :class:`SettingsError` on unusable values."""
        var_dir = Path(_env("CONCIERGE_VAR_DIR", str(ROOT / "var"))).resolve()
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
            host=_env("CONCIERGE_HOST", "127.0.0.1"),
            rasa_port=_port_env("RASA_PORT", 5005),
            action_port=_port_env("ACTION_PORT", 5055),
            console_port=_port_env("CONSOLE_PORT", 8080),
            action_metrics_port=_port_env("ACTION_METRICS_PORT", 5056, lowest=0),
            console_secret=_env("CONSOLE_SECRET", ""),
        )
