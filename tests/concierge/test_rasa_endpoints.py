"""Rasa's endpoints.yml is built from the URLs in the settings, never a fixed dialect."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from concierge.rasa_endpoints import (
    BROKER_EXCHANGE,
    BROKER_QUEUE,
    DURABLE_EVENT_BROKER,
    DURABLE_TRACKER_STORE,
    endpoints_config,
    secret_env,
    write_endpoints,
)
from concierge.settings import Settings, SettingsError
from concierge.stack import rasa_env


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(Settings.from_env(), var_dir=tmp_path)


def test_the_embedded_default_is_rasas_sqlite_tracker_store_and_nothing_shared(
    settings: Settings,
) -> None:
    config = endpoints_config(settings)

    assert config["tracker_store"] == {
        "type": DURABLE_TRACKER_STORE,
        "dialect": "sqlite",
        "db": settings.tracker_db_url.removeprefix("sqlite:///"),
    }
    assert "lock_store" not in config and "event_broker" not in config


def test_a_postgresql_tracker_url_reaches_rasa_as_postgresql_not_as_a_file_name(
    settings: Settings,
) -> None:
    url = "postgresql+psycopg://rasa:s%40cret@db.internal:6543/tracker?sslmode=require"

    config = endpoints_config(replace(settings, tracker_db_url=url))
    env = secret_env(replace(settings, tracker_db_url=url))

    assert config["tracker_store"] == {
        "type": DURABLE_TRACKER_STORE,
        "dialect": "postgresql+psycopg2",  # the driver Rasa's environment has
        "url": "db.internal",
        "port": 6543,
        "db": "tracker",
        "username": "rasa",
        "password": "${CONCIERGE_TRACKER_DB_PASSWORD}",
        "query": {"sslmode": "require"},
    }
    assert env["CONCIERGE_TRACKER_DB_PASSWORD"] == "s@cret"


def test_redis_and_rabbitmq_urls_add_rasas_lock_store_and_event_broker(
    settings: Settings,
) -> None:
    scaled = replace(
        settings,
        redis_url="redis://:pw@127.0.0.1:6390/2",
        broker_url="amqp://shop:secret@127.0.0.1:5673/concierge",
    )

    config = endpoints_config(scaled)

    assert config["lock_store"] == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6390,
        "db": 2,
        "key_prefix": "concierge",
        "use_ssl": False,
        "password": "${CONCIERGE_REDIS_PASSWORD}",
    }
    broker = config["event_broker"]
    assert (broker["type"], broker["url"], broker["port"]) == (
        DURABLE_EVENT_BROKER,
        "127.0.0.1",
        5673,
    )
    assert (broker["username"], broker["vhost"]) == ("shop", "concierge")
    assert broker["queues"] == [BROKER_QUEUE] and broker["exchange_name"] == BROKER_EXCHANGE
    env = rasa_env(scaled)
    assert env["CONCIERGE_REDIS_PASSWORD"] == "pw"
    assert env["CONCIERGE_BROKER_PASSWORD"] == "secret"


def test_the_written_file_holds_no_password(settings: Settings) -> None:
    scaled = replace(
        settings,
        tracker_db_url="postgresql://rasa:tracker-password@127.0.0.1/tracker",
        redis_url="redis://:redis-password@127.0.0.1:6379/0",
        broker_url="amqp://shop:broker-password@127.0.0.1:5672/",
    )

    text = write_endpoints(scaled).read_text()

    assert "password" in text and "-password" not in text
    assert yaml.safe_load(text) == endpoints_config(scaled)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("CONCIERGE_REDIS_URL", "localhost:6379", "CONCIERGE_REDIS_URL"),
        ("CONCIERGE_REDIS_URL", "redis://127.0.0.1:notaport/0", "CONCIERGE_REDIS_URL"),
        ("CONCIERGE_BROKER_URL", "http://127.0.0.1:5672/", "CONCIERGE_BROKER_URL"),
        ("CONCIERGE_TRACKER_DB_URL", "mysql://u@h/db", "CONCIERGE_TRACKER_DB_URL"),
        ("CONCIERGE_DB_URL", "postgresql+nosuchdriver://u@h/db", "CONCIERGE_DB_URL"),
        ("CONCIERGE_TRUSTED_PROXIES", "127.0.0.1,nginx", "CONCIERGE_TRUSTED_PROXIES"),
    ],
)
def test_a_malformed_engine_url_stops_start_up_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError, match=named):
        Settings.from_env()


def test_engine_urls_and_proxies_are_read_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCIERGE_REDIS_URL", "redis://127.0.0.1:6390/1")
    monkeypatch.setenv("CONCIERGE_BROKER_URL", "amqp://guest:guest@127.0.0.1:5673/")
    monkeypatch.setenv("CONCIERGE_TRACKER_DB_URL", "postgresql://rasa@127.0.0.1:5433/tracker")
    monkeypatch.setenv("CONCIERGE_TRUSTED_PROXIES", "127.0.0.1, ::1")

    settings = Settings.from_env()

    assert settings.redis_url == "redis://127.0.0.1:6390/1"
    assert settings.broker_url == "amqp://guest:guest@127.0.0.1:5673/"
    assert settings.tracker_db_url == "postgresql://rasa@127.0.0.1:5433/tracker"
    assert settings.trusted_proxies == ("127.0.0.1", "::1")
