"""The Telegram channel's settings, and the credentials file Rasa is started with."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from concierge.rasa_credentials import (
    PROJECT_CREDENTIALS,
    TELEGRAM_CHANNEL,
    credentials_path,
    telegram_env,
    telegram_webhook_secret,
)
from concierge.settings import ROOT, Settings, SettingsError
from concierge.stack import Stack, rasa_env

TELEGRAM = {
    "TELEGRAM_BOT_TOKEN": "123456:ABC-token",
    "TELEGRAM_BOT_NAME": "@shop_concierge_bot",
    "TELEGRAM_WEBHOOK_URL": "https://chat.shop.example/webhooks/telegram/webhook",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in [*TELEGRAM, "TELEGRAM_SECRET_TOKEN", "TELEGRAM_API_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path))
    return monkeypatch


def test_without_telegram_settings_rasa_gets_the_projects_credentials_unchanged(
    env: pytest.MonkeyPatch,
) -> None:
    settings = Settings.from_env()
    assert not settings.telegram_enabled
    assert ROOT / credentials_path(settings) == PROJECT_CREDENTIALS
    assert not any(name.startswith("TELEGRAM_") for name in rasa_env(settings))
    command = Stack(settings, services=("rasa",)).services["rasa"].command
    assert command[command.index("--credentials") + 1] == "credentials.yml"


def test_with_telegram_rasa_gets_the_channel_with_values_from_its_environment(
    env: pytest.MonkeyPatch,
) -> None:
    for name, value in TELEGRAM.items():
        env.setenv(name, value)
    settings = Settings.from_env()
    path = credentials_path(settings)
    assert path.parent == settings.var_dir / "rasa"
    channels = yaml.safe_load(path.read_text())
    assert set(channels) == set(yaml.safe_load(PROJECT_CREDENTIALS.read_text())) | {
        TELEGRAM_CHANNEL
    }
    assert channels[TELEGRAM_CHANNEL]["access_token"] == "${TELEGRAM_BOT_TOKEN}"
    assert "123456:ABC-token" not in path.read_text()  # the token is never written to disk
    expanded = telegram_env(settings)
    assert expanded["TELEGRAM_BOT_NAME"] == "shop_concierge_bot"
    assert expanded["TELEGRAM_API_URL"] == "https://api.telegram.org"
    assert expanded["TELEGRAM_SECRET_TOKEN"] == telegram_webhook_secret(settings)
    assert rasa_env(settings)["TELEGRAM_BOT_TOKEN"] == "123456:ABC-token"


def test_the_derived_webhook_secret_follows_the_channel_secret_and_an_explicit_one_wins(
    env: pytest.MonkeyPatch,
) -> None:
    for name, value in TELEGRAM.items():
        env.setenv(name, value)
    settings = Settings.from_env()
    one = telegram_webhook_secret(replace(settings, channel_secret="a" * 32))
    other = telegram_webhook_secret(replace(settings, channel_secret="b" * 32))
    assert one != other and len(one) >= 32
    env.setenv("TELEGRAM_SECRET_TOKEN", "Chosen_secret-1")
    assert telegram_webhook_secret(Settings.from_env()) == "Chosen_secret-1"


@pytest.mark.parametrize("left_out", sorted(TELEGRAM))
def test_a_partial_telegram_configuration_names_what_is_missing(
    env: pytest.MonkeyPatch, left_out: str
) -> None:
    for name, value in TELEGRAM.items():
        if name != left_out:
            env.setenv(name, value)
    with pytest.raises(SettingsError, match=left_out):
        Settings.from_env()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TELEGRAM_WEBHOOK_URL", "http://chat.shop.example/webhooks/telegram/webhook"),
        ("TELEGRAM_BOT_TOKEN", "no-colon-token"),
        ("TELEGRAM_SECRET_TOKEN", "has spaces"),
        ("TELEGRAM_API_URL", "ftp://api.example"),
    ],
)
def test_an_unusable_telegram_value_names_its_variable(
    env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    for name, good in TELEGRAM.items():
        env.setenv(name, good)
    env.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env()
