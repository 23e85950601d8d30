"""Rasa's own commands with this repository's layout, from the repository root.

Rasa expects ``domain.yml``, ``data/`` and ``config.yml`` at the root; this project splits
the domain under ``bot/domain``, the stories and rules under ``bot/data`` and the NLU
examples under ``nlu_data``, and ``var/rasa/endpoints.yml`` is generated from the settings
(:mod:`concierge.rasa_endpoints`), its secrets expanded from the environment
:func:`concierge.stack.rasa_env` derives. This module
passes those flags and that environment once, so ``make validate``, ``make shell``,
and ``make train`` (through ``scripts/train.sh``) cannot drift apart:

    python -m concierge.rasa_cli validate     # rasa data validate
    python -m concierge.rasa_cli train ...    # rasa train (scripts/train.sh adds --out etc.)
    python -m concierge.rasa_cli actions      # the action server in the foreground
    python -m concierge.rasa_cli shell        # rasa shell, needs the action server running

Anything after the command is passed on to Rasa (``... shell --debug``).
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

from concierge.rasa_api_guard import REFUSAL, opens_http_api
from concierge.rasa_endpoints import endpoints_path, write_endpoints
from concierge.settings import ROOT, Settings, exits_on_settings_error
from concierge.stack import MODEL_PATH, RASA_BIN, Stack, rasa_env

DOMAIN = ["--domain", "bot/domain"]
DATA = ["--data", "nlu_data", "bot/data"]
CONFIG = ["--config", "config.yml"]

# Not `rasa interactive`: it always starts Rasa with its HTTP API on and no token
# (rasa/core/training/interactive.py: configure_app(enable_api=True)), so any local process
# could set any slot of any conversation. Review and correct through the NLU inbox instead.
COMMANDS = ("validate", "train", "actions", "shell")


def rasa_command(command: str, settings: Settings, extra: Sequence[str] = ()) -> list[str]:
    """The ``rasa`` command line for one of :data:`COMMANDS` (not ``actions``)."""
    model = ["--model", str(MODEL_PATH)]
    port = ["--port", str(settings.rasa_port)]
    endpoints = ["--endpoints", str(endpoints_path(settings))]
    layouts = {
        "validate": ["data", "validate", *DOMAIN, *DATA, *CONFIG],
        "train": ["train", *DOMAIN, *DATA, *CONFIG],
        # Loopback only: the shell's server opens a REST channel, which takes any sender id.
        "shell": ["shell", *model, *endpoints, "--interface", "127.0.0.1", *port],
    }
    return [str(RASA_BIN), *layouts[command], *extra]


def action_server_is_up(settings: Settings) -> bool:
    """Whether the action server the Rasa server would call answers its health URL."""
    url = f"http://{settings.action_host}:{settings.action_port}/health"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m concierge.rasa_cli",
        description="Rasa's commands with this repository's --domain/--data/--config/--endpoints.",
    )
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("rasa_args", nargs=argparse.REMAINDER, help="passed on to Rasa")
    return parser


@exits_on_settings_error
def main(argv: Sequence[str] | None = None) -> int:
    """Replace this process with the Rasa (or action server) command; returns only on error."""
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "actions":
        service = Stack(settings, services=("actions",)).services["actions"]
        settings.require("action_token")
        print(
            f"Action server on http://{settings.action_host}:{settings.action_port} "
            "(Ctrl-C stops it)"
        )
        os.chdir(ROOT)
        os.execve(service.command[0], service.command, service.env)
    if opens_http_api(args.rasa_args) is not None:
        # This project never opens Rasa's HTTP API (README, "How it is built").
        print(REFUSAL, file=sys.stderr)
        return 2
    if not RASA_BIN.exists():
        print(f"No Rasa at {RASA_BIN}: run `make setup` first.", file=sys.stderr)
        return 1
    needs_model = args.command == "shell"
    if needs_model:
        # endpoints.yml sends it to the action server, which refuses calls without it.
        settings.require("action_token")
    if needs_model and not MODEL_PATH.exists():
        print(f"No trained model at {MODEL_PATH}: run `make train` first.", file=sys.stderr)
        return 1
    if needs_model and not action_server_is_up(settings):
        print(
            f"No action server answers on {settings.action_url}: start one in another "
            "terminal with `make actions` (or run `make demo`), then try again.",
            file=sys.stderr,
        )
        return 1
    if needs_model:
        write_endpoints(settings)
    env = {**os.environ, **rasa_env(settings)}
    command = rasa_command(args.command, settings, args.rasa_args)
    os.chdir(ROOT)
    os.execve(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main())
