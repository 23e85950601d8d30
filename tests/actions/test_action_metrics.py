"""Timing custom actions for the action server's Prometheus endpoint."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from actions.faq import ActionAnswerFaq
from actions.metrics import REGISTRY, serve_metrics, timed_action
from tests.actions.shop_data import Shop
from tests.actions.trackers import run, tracker


def observed(action: str) -> float:
    return REGISTRY.get_sample_value("concierge_action_seconds_count", {"action": action}) or 0.0


def failures(action: str, reason: str) -> float:
    labels = {"action": action, "reason": reason}
    return REGISTRY.get_sample_value("concierge_action_failures_total", labels) or 0.0


async def test_every_shop_action_run_is_timed(shop: Shop) -> None:
    before = observed("action_answer_faq")

    await run(ActionAnswerFaq(), tracker(latest_message={"text": "hm", "intent": {"name": "faq"}}))

    assert observed("action_answer_faq") == before + 1


def test_a_failing_action_is_timed_and_counted_by_reason() -> None:
    before = failures("action_boom", "RuntimeError")

    with pytest.raises(RuntimeError), timed_action("action_boom"):
        raise RuntimeError("boom")

    assert failures("action_boom", "RuntimeError") == before + 1
    assert observed("action_boom") >= 1


def test_metrics_are_served_on_loopback_and_a_taken_port_is_reported_not_fatal() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = serve_metrics("127.0.0.1", port)
    assert server is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            assert b"concierge_action_seconds" in response.read()
        assert serve_metrics("127.0.0.1", port) is None
    finally:
        server.shutdown()
        server.server_close()
    assert serve_metrics("127.0.0.1", 0) is None
