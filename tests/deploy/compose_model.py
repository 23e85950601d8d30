"""Read deploy/compose.yml the way Docker Compose does, for tests that run without Docker.

No Docker daemon runs where the suite runs, so the compose file is checked as data: its
``${VARIABLE}`` interpolation is done here (Compose's rules for the forms the file uses), and a
service's environment becomes the :class:`Settings` that container would read. Paths the
containers see under ``/app`` are where a checkout has them under ``ROOT``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from concierge.settings import ROOT, SECRET_VARIABLES, Settings

DEPLOY = ROOT / "deploy"
# Where the images put the checkout (WORKDIR), and the main environment's interpreter there.
APP = "/app"
APP_PYTHON = f"{APP}/.venv/bin/python"
# Passwords of the engines compose runs, next to the services' own secrets.
ENGINE_SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "RABBITMQ_PASSWORD")
REQUIRED_SECRETS = (*SECRET_VARIABLES.values(), *ENGINE_SECRETS)
# What a deploy/.env would hold: a distinct, URL-safe value per secret.
FAKE_ENV = {name: f"fake-{name.lower().replace('_', '-')}" for name in REQUIRED_SECRETS}

_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


class MissingVariable(KeyError):
    """``${NAME:?message}`` met an unset or empty NAME: compose refuses to start."""


def _load_render_nginx() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_nginx", DEPLOY / "render_nginx.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_nginx = _load_render_nginx()


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose's interpolation: ``${X}``, ``${X:-default}``, ``${X-default}``, ``${X:?err}``."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        value = variables.get(name)
        # With a colon an empty value counts as missing; without, only an unset one.
        missing = not value if operator in (":-", ":?") else value is None
        if operator and operator.endswith("?") and missing:
            raise MissingVariable(f"{name}: {argument}")
        if operator and operator.endswith("-") and missing:
            return argument
        return value or ""

    return _VARIABLE.sub(one, text)


def interpolate_all(data: Any, variables: Mapping[str, str]) -> Any:
    """Every string of a loaded compose structure, interpolated."""
    if isinstance(data, str):
        return interpolate(data, variables)
    if isinstance(data, list):
        return [interpolate_all(item, variables) for item in data]
    if isinstance(data, dict):
        return {key: interpolate_all(value, variables) for key, value in data.items()}
    return data


def compose(variables: Mapping[str, str] = FAKE_ENV) -> dict[str, Any]:
    """deploy/compose.yml, loaded and interpolated with ``variables`` (a deploy/.env)."""
    return interpolate_all(render_nginx.load_compose(), variables)


def service_env(data: dict[str, Any], service: str) -> dict[str, str]:
    return render_nginx.environment(data, service)


@contextmanager
def environ(env: Mapping[str, str]) -> Iterator[None]:
    """Run with exactly ``env`` as the process environment (as a container would have)."""
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def settings_from(env: Mapping[str, str]) -> Settings:
    """The settings a process reads from ``env`` and nothing else."""
    with environ(env):
        return Settings.from_env()


def to_app(value: str) -> str:
    """A checkout's path as the container sees it: the interpreter and ``ROOT`` under /app."""
    if value == sys.executable:
        return APP_PYTHON
    return value.replace(str(ROOT), APP)


def scaled_services(data: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """``{"rasa-2": ("rasa", 2), ...}``: the compose services that are Concierge processes."""
    found = {}
    for name in data["services"]:
        match = render_nginx.INSTANCE_NAME.match(name)
        if match:
            found[name] = (match.group(1), int(match.group(2)))
    return found


def command(data: dict[str, Any], service: str) -> list[str]:
    value = data["services"][service]["command"]
    assert isinstance(value, list), f"{service}: write its command as a list (exec form)"
    return [str(part) for part in value]


def image_tag(data: dict[str, Any], service: str) -> tuple[str, str]:
    name, _, tag = str(data["services"][service]["image"]).partition(":")
    return name, tag


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of a Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            found.append((instruction.upper(), rest.strip()))
    return found


def ignored_by(path: Path, relative: str) -> bool:
    """Whether a ``.dockerignore`` file keeps ``relative`` (or a folder above it) out of the
    build context: the last pattern that matches decides, ``!`` re-includes."""
    import fnmatch

    candidates = [relative.rstrip("/")]
    parts = relative.rstrip("/").split("/")
    candidates += ["/".join(parts[:i]) for i in range(1, len(parts))]
    ignored = False
    for raw in path.read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            ignored = not negated
    return ignored
