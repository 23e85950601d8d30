"""Helpers for tests that start real servers: free loopback ports and per-test settings."""

from __future__ import annotations

import json
import socket
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from concierge.settings import Settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_settings(var_dir: Path) -> Settings:
    """Settings whose state lives in ``var_dir`` and whose services use free ports."""
    base = Settings.from_env()
    var_dir.mkdir(parents=True, exist_ok=True)
    return replace(
        base,
        var_dir=var_dir,
        db_url=f"sqlite:///{var_dir / 'concierge.db'}",
        tracker_db_url=f"sqlite:///{var_dir / 'tracker.db'}",
        artifacts_dir=var_dir / "artifacts",
        host="127.0.0.1",
        rasa_host="127.0.0.1",
        action_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=free_port(),
        console_port=free_port(),
        action_metrics_port=free_port(),
    )


def post_json(
    url: str,
    payload: dict[str, Any],
    timeout: float = 60.0,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST JSON and return the decoded JSON answer (raises on HTTP errors)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def get_json(url: str, timeout: float = 30.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())
