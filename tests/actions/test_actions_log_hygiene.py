"""The action server's logs name senders, never what a slot or a customer said."""

from __future__ import annotations

import logging

import pytest

from actions.base import customer_id_of
from tests.actions.trackers import tracker


def test_a_customer_slot_that_is_not_a_number_is_logged_by_sender_not_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    found = customer_id_of(
        tracker(sender_id="web-7f3c", slots={"customer_id": "anna.smith@example.com"})
    )

    assert found is None
    assert "web-7f3c" in caplog.text
    assert "anna.smith" not in caplog.text
