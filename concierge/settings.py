"""Settings for every process of the main environment, read from environment variables.

One place decides the defaults (embedded SQLite files under ``var/``, loopback ports);
nothing else in the code base reads ``os.environ`` for configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


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
    session_expiration_minutes: int = 60
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
        var_dir = Path(_env("CONCIERGE_VAR_DIR", str(ROOT / "var"))).resolve()
        return cls(
            var_dir=var_dir,
            db_url=_env("CONCIERGE_DB_URL", f"sqlite:///{var_dir / 'concierge.db'}"),
            tracker_db_url=_env("CONCIERGE_TRACKER_DB_URL", f"sqlite:///{var_dir / 'tracker.db'}"),
            artifacts_dir=Path(
                _env("CONCIERGE_ARTIFACTS_DIR", str(var_dir / "artifacts"))
            ).resolve(),
            policy_file=Path(
                _env("CONCIERGE_POLICY_FILE", str(ROOT / "store" / "shop_policy.yml"))
            ).resolve(),
            host=_env("CONCIERGE_HOST", "127.0.0.1"),
            rasa_port=_int_env("RASA_PORT", 5005),
            action_port=_int_env("ACTION_PORT", 5055),
            console_port=_int_env("CONSOLE_PORT", 8080),
            action_metrics_port=_int_env("ACTION_METRICS_PORT", 5056),
            session_expiration_minutes=_int_env("CONCIERGE_SESSION_MINUTES", 60),
            console_secret=_env("CONSOLE_SECRET", ""),
        )
