"""The action server's Prometheus endpoint counts and times the actions a conversation ran."""

from __future__ import annotations

import re
import urllib.request

from concierge.stack import Stack
from tests.integration.conftest import Chat


def action_count(stack: Stack, action: str) -> float:
    url = f"http://{stack.settings.action_host}:{stack.settings.action_metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    found = re.search(rf'concierge_action_seconds_count{{action="{action}"}} (\S+)', body)
    return float(found.group(1)) if found else 0.0


def test_an_order_question_shows_up_in_the_action_latency_histogram(
    anna_chat: Chat, stack: Stack, shop
) -> None:
    before = action_count(stack, "action_order_status")

    anna_chat.text(f"where is my order {shop.anna_shipped.number}?")

    assert action_count(stack, "action_order_status") == before + 1
