"""Fixtures shared across test folders.

``full_stack`` starts the real action server, Rasa server and console once per test
session (Rasa takes a while to load its model) on free loopback ports, with its own
SQLite files under a temporary folder, and stops exactly those processes afterwards,
even when tests fail.

The suite runs outside demo mode, with random secrets of its own (``pytest_configure``),
so every server it starts goes the way a shop's does: secrets from the environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from concierge.settings import SECRET_VARIABLES
from concierge.stack import MODEL_PATH, Stack
from tests.support.servers import isolated_settings
from tests.support.shop import Shop, fill_shop


def pytest_configure(config: pytest.Config) -> None:
    """Fresh secrets for this run (never a developer's own), and no demo mode."""
    os.environ.pop("CONCIERGE_DEMO", None)
    for variable in SECRET_VARIABLES.values():
        os.environ[variable] = secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def full_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Shop]]:
    if not MODEL_PATH.exists():
        pytest.fail(f"No trained model at {MODEL_PATH}; `make test` trains it first.")
    settings = isolated_settings(tmp_path_factory.mktemp("stack"))
    shop = fill_shop(settings.var_dir)
    stack = Stack(settings)
    stack.start(timeout=300)
    try:
        yield stack, shop
    finally:
        stack.stop()
