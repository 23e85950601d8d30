"""The action server's start-up warm-up: models loaded before the first customer asks."""

from __future__ import annotations

import gc
import logging

import pytest

from actions.server import warm_up_and_freeze
from actions.services import get_advisor, get_services, warm_up
from tests.actions.shop_data import Shop


def test_warm_up_loads_the_advisor_the_first_action_then_reuses(shop: Shop) -> None:
    assert warm_up() is True

    services = get_services()
    assert get_advisor(services) is get_advisor(services)


def test_warm_up_without_trained_artifacts_serves_store_popularity(shop: Shop) -> None:
    warm_up()

    assert get_advisor(get_services()).degraded


@pytest.mark.usefixtures("database_down")
def test_warm_up_with_database_down_logs_and_lets_the_first_action_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="actions.services"):
        assert warm_up() is False

    assert "store is unreachable" in caplog.text


def test_server_warm_up_loads_the_models_then_freezes_what_is_alive(shop: Shop) -> None:
    try:
        assert warm_up_and_freeze() is True
        # Everything alive after the warm-up (the advisor and its models among it) is frozen.
        assert gc.get_freeze_count() > 0
        assert get_advisor(get_services()) is get_advisor(get_services())
    finally:
        gc.unfreeze()
