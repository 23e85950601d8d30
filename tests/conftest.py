"""Fixtures shared across test folders.

``full_stack`` starts the real action server, Rasa server and console once per test
session (Rasa takes a while to load its model) on free loopback ports, with its own
SQLite files under a temporary folder, and stops exactly those processes afterwards,
even when tests fail.

The suite runs outside demo mode, with random secrets of its own (``pytest_configure``),
so every server it starts goes the way a shop's does: secrets from the environment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from concierge.settings import SECRET_VARIABLES, Settings
from concierge.stack import MODEL_PATH, Stack
from tests.support.servers import isolated_settings
from tests.support.shop import Shop, fill_shop
from tests.support.telegram_api import (
    TELEGRAM_TEST_BOT,
    TELEGRAM_TEST_TOKEN,
    TelegramAPI,
    with_telegram,
)

# The model the stacks load: models/concierge.tar.gz, or CONCIERGE_TEST_MODEL, a model trained
# into a folder of one's own (a change to the domain is tested without replacing the shared one).
TEST_MODEL = Path(os.environ.get("CONCIERGE_TEST_MODEL") or MODEL_PATH)


def pytest_configure(config: pytest.Config) -> None:
    """Fresh secrets for this run (never a developer's own), and no demo mode."""
    os.environ.pop("CONCIERGE_DEMO", None)
    for variable in SECRET_VARIABLES.values():
        os.environ[variable] = secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[TelegramAPI]:
    """The Bot API stand-in the session's Rasa reports to (its Telegram channel is on)."""
    with TelegramAPI(TELEGRAM_TEST_TOKEN, TELEGRAM_TEST_BOT) as api:
        yield api


@pytest.fixture(scope="session")
def full_stack(
    tmp_path_factory: pytest.TempPathFactory, telegram_api: TelegramAPI
) -> Iterator[tuple[Stack, Shop]]:
    if not TEST_MODEL.exists():
        pytest.fail(f"No trained model at {TEST_MODEL}; `make test` trains it first.")
    settings = with_telegram(isolated_settings(tmp_path_factory.mktemp("stack")), telegram_api)
    yield from _running(settings, fill_shop(settings.var_dir))


def _running(settings: Settings, shop: Shop) -> Iterator[tuple[Stack, Shop]]:
    """The three services for ``settings``, started and, whatever happens, stopped."""
    stack = Stack(settings, model_path=TEST_MODEL)
    stack.start(timeout=300)
    try:
        yield stack, shop
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def engines_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Shop]]:
    """The same stack on real engines: store and tracker on PostgreSQL, Rasa's locks in Redis.

    For the integration modules that also run there (``ALSO_ON_ENGINES`` in
    tests/integration/conftest.py). Skips, naming what is missing, without the engines.
    """
    from concierge.engines import PostgresServer, RedisServer, missing_engines

    missing = missing_engines()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make engines)")
    if not TEST_MODEL.exists():
        pytest.fail(f"No trained model at {TEST_MODEL}; `make test` trains it first.")
    # Not under pytest's temporary folder: it is closed to the `postgres` user the cluster
    # runs as when the suite runs as root.
    root = Path(tempfile.mkdtemp(prefix="concierge-engines-"))
    root.chmod(0o755)
    with (
        contextlib.ExitStack() as cleanup,
        PostgresServer(root / "postgres", durable=False) as postgres,
        RedisServer(root / "redis") as redis,
    ):
        cleanup.callback(shutil.rmtree, root, ignore_errors=True)
        postgres.create_database("tracker")
        settings = replace(
            isolated_settings(root / "var"),
            db_url=postgres.url,
            tracker_db_url=postgres.url.rsplit("/", 1)[0] + "/tracker",
            redis_url=redis.url,
        )
        yield from _running(settings, fill_shop(settings.var_dir, settings.db_url))
