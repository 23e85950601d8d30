"""Rasa's own commands from the repository root, with this layout's flags and environment."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest
import yaml

from concierge.rasa_cli import rasa_command
from concierge.rasa_endpoints import endpoints_path, write_endpoints
from concierge.settings import ROOT, Settings
from concierge.stack import MODEL_PATH, RASA_BIN, rasa_env
from tests.support.servers import free_port


@pytest.fixture
def settings(tmp_path) -> Settings:
    return replace(Settings.from_env(), rasa_port=5099, action_port=5098, var_dir=tmp_path)


def test_validate_and_train_read_the_split_domain_the_bot_data_and_the_nlu_folder(
    settings: Settings,
) -> None:
    for command in ("validate", "train"):
        line = rasa_command(command, settings)
        assert line[0] == str(RASA_BIN)
        joined = " ".join(line)
        assert "--domain bot/domain" in joined
        assert "--data nlu_data bot/data" in joined
        assert "--config config.yml" in joined
    assert rasa_command("validate", settings)[1:3] == ["data", "validate"]


def test_shell_uses_the_trained_model_the_endpoints_and_the_rasa_port(settings: Settings) -> None:
    joined = " ".join(rasa_command("shell", settings, ["--debug"]))
    assert f"--model {MODEL_PATH}" in joined
    assert f"--endpoints {endpoints_path(settings)}" in joined
    assert "--port 5099" in joined
    assert joined.endswith("--debug")
    assert "--enable-api" not in joined


def test_the_shell_listens_on_loopback_only(settings: Settings) -> None:
    line = rasa_command("shell", settings)
    assert line[line.index("--interface") + 1] == "127.0.0.1"


# Rasa's argparse takes any unambiguous prefix of an option: `rasa shell --ena` is
# `--enable-api` (checked against Rasa 3.6's own parser in tests/rasa_side).
@pytest.mark.parametrize("flag", ["--enable-api", "--enable", "--ena", "--enable-a"])
def test_the_http_api_is_refused_even_when_asked_for(flag: str) -> None:
    # Passed through to `rasa shell`, --enable-api would open Rasa's HTTP API with no token.
    done = subprocess.run(
        [sys.executable, "-m", "concierge.rasa_cli", "shell", flag],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--enable-api is refused" in done.stderr


def test_rasa_interactive_is_refused_because_it_opens_the_http_api_without_a_token() -> None:
    # rasa interactive runs configure_app(enable_api=True) with no auth token or JWT secret.
    done = subprocess.run(
        [sys.executable, "-m", "concierge.rasa_cli", "interactive"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "invalid choice: 'interactive'" in done.stderr
    makefile = (ROOT / "Makefile").read_text()
    assert "rasa_cli interactive" not in makefile


def test_the_generated_endpoints_name_the_configured_action_server(settings: Settings) -> None:
    env = rasa_env(settings)
    assert env["CONCIERGE_ACTION_URL"] == "http://127.0.0.1:5098/webhook"
    written = yaml.safe_load(write_endpoints(settings).read_text())
    assert written["action_endpoint"]["url"] == "${CONCIERGE_ACTION_URL}"
    assert written["tracker_store"]["db"] == settings.tracker_db_url.removeprefix("sqlite:///")


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="needs a trained model (make train)")
def test_shell_without_a_running_action_server_says_how_to_start_one(tmp_path) -> None:
    env = dict(os.environ, ACTION_PORT=str(free_port()), CONCIERGE_VAR_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "concierge.rasa_cli", "shell"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "make actions" in done.stderr
