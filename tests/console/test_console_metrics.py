"""``/metrics``: Prometheus text with the console's own counters and the store's totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.app import create_app
from tests.console.chat_helpers import open_chat
from tests.console.conftest import COOKIE_SECRET, METRICS_TOKEN
from tests.console.conversation_helpers import TrackerFile, add_handoff, add_session

DAY = datetime(2024, 11, 20, 10, 0)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return samples(await response.text())


async def test_metrics_report_turns_fallbacks_handoffs_and_offers_from_the_store(
    client: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    tracker = TrackerFile(tmp_path / "tracker.db")
    first = add_session(
        sessions,
        "web-a",
        DAY,
        intents=("greet", "order_status", "affirm"),
        outcomes=("offer_shown", "offer_accepted", "handoff_requested"),
    )
    add_session(
        sessions, "web-b", DAY + timedelta(hours=1), intents=("greet",), outcomes=("offer_shown",)
    )
    add_handoff(sessions, first, "web-a", DAY + timedelta(minutes=1))
    tracker.user("web-a", DAY, "blah", "nlu_fallback", 0.6)
    tracker.action("web-a", DAY + timedelta(seconds=1), "action_default_fallback")
    tracker.user("web-b", DAY, "hi", "greet", 0.99)

    found = await scrape(client)

    assert found[("concierge_store_up", ())] == 1
    assert found[("concierge_turns_total", ())] == 4
    assert found[("concierge_chat_sessions_total", ())] == 2
    assert found[("concierge_session_outcomes_total", (("kind", "offer_shown"),))] == 2
    assert found[("concierge_session_outcomes_total", (("kind", "offer_accepted"),))] == 1
    assert found[("concierge_session_outcomes_total", (("kind", "handoff_requested"),))] == 1
    assert found[("concierge_handoffs", (("status", "waiting"),))] == 1
    assert found[("concierge_fallbacks_total", (("source", "nlu_fallback_intent"),))] == 1
    assert found[("concierge_fallbacks_total", (("source", "fallback_action"),))] == 1


async def test_relayed_chat_turns_and_bot_replies_are_counted_and_timed(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    _, ws = await open_chat(client)
    for n in range(2):
        await ws.send_json({"type": "message", "id": f"c{n}", "text": f"hello {n}"})
        reply = await ws.receive_json(timeout=10)
        assert reply["type"] == "bot"
    await ws.close()

    found = await scrape(client)

    assert found[("concierge_chat_turns_relayed_total", ())] == 2
    assert found[("concierge_bot_replies_total", ())] == 2
    assert found[("concierge_bot_turn_seconds_count", ())] == 2
    assert found[("concierge_rasa_failures_total", ())] == 0


async def test_rasa_failures_are_counted(rasa_down_client: TestClient) -> None:
    _, ws = await open_chat(rasa_down_client)
    await ws.send_json({"type": "message", "id": "c1", "text": "anyone there?"})
    await ws.receive_json(timeout=10)
    await ws.close()

    found = await scrape(rasa_down_client)

    assert found[("concierge_chat_turns_relayed_total", ())] == 1
    assert found[("concierge_rasa_failures_total", ())] == 1
    assert found[("concierge_bot_turn_seconds_count", ())] == 0


async def test_page_latency_is_labelled_by_route_pattern_not_raw_path(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await client.get("/healthz")
    await client.get("/healthz")
    await client.get("/staff/conversations/12345", allow_redirects=False)

    found = await scrape(client)

    healthz = (("method", "GET"), ("route", "/healthz"))
    transcript = (("method", "GET"), ("route", "/staff/conversations/{session_id}"))
    assert found[("concierge_console_page_seconds_count", healthz)] == 2
    assert found[("concierge_console_page_seconds_count", transcript)] == 1
    assert not any("12345" in str(labels) for _, labels in found)


async def test_hostile_path_does_not_become_a_label(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await client.get("/<script>alert(1)</script>")

    found = await scrape(client)

    assert not any("script" in str(labels) for _, labels in found)
    unmatched = (("method", "GET"), ("route", "unmatched"))
    assert found[("concierge_console_page_seconds_count", unmatched)] == 1


async def test_two_apps_in_one_process_keep_separate_registries(
    aiohttp_client: Any, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    one = await aiohttp_client(create_app(settings, cookie_secret=COOKIE_SECRET))
    two = await aiohttp_client(create_app(settings, cookie_secret=COOKIE_SECRET))

    await one.get("/healthz")

    healthz = ("concierge_console_page_seconds_count", (("method", "GET"), ("route", "/healthz")))
    assert (await scrape(one))[healthz] == 1
    assert healthz not in await scrape(two)
