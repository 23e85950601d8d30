"""Fixtures shared across test folders.

``full_stack`` starts the real action server, Rasa server and console once per test
session (Rasa takes a while to load its model) on free loopback ports, with its own
SQLite files under a temporary folder, and stops exactly those processes afterwards,
even when tests fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from concierge.stack import MODEL_PATH, Stack
from tests.support.servers import isolated_settings
from tests.support.shop import Shop, fill_shop


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
