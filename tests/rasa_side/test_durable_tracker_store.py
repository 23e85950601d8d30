"""The tracker store waits through a database outage, and the channel never shows a turn the
database does not have: refused up front (503, the console's apology) when the store is down,
the apology instead of the reply when Rasa had to keep the turn in memory."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.concierge_rest import NO_REPLY_APOLOGY, ConciergeRestInput
from bot.tracker_store import DurableSQLTrackerStore, TrackerStoreUnavailable
from tests.rasa_side.test_channel_log_hygiene import SECRET, _request, _webhook_handler


def _store(folder: Path, patience: float) -> DurableSQLTrackerStore:
    folder.mkdir(exist_ok=True)
    return DurableSQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(folder / "tracker.db"), patience_seconds=patience
    )


def _tracker(sender_id: str, text: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender_id, slots=[])
    tracker.update(UserUttered(text))
    return tracker


def _in_app(request: Any, store: Any) -> Any:
    request.app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))
    return request


def test_a_write_during_a_short_outage_waits_and_lands(tmp_path: Path) -> None:
    store = _store(tmp_path / "db", patience=10)
    (tmp_path / "db").rename(tmp_path / "away")  # the database cannot be opened
    threading.Timer(1.5, lambda: (tmp_path / "away").rename(tmp_path / "db")).start()

    asyncio.run(store.save(_tracker("web-1", "where is my order?")))

    kept = asyncio.run(store.retrieve("web-1"))
    assert kept is not None
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["where is my order?"]


def test_an_outage_longer_than_the_patience_raises_instead_of_forgetting(tmp_path: Path) -> None:
    store = _store(tmp_path / "db", patience=1)
    (tmp_path / "db").rename(tmp_path / "away")

    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(store.retrieve("web-1"))
    assert asyncio.run(store.reachable()) is False


def test_the_channel_refuses_a_turn_while_the_store_is_down(tmp_path: Path) -> None:
    store = _store(tmp_path / "db", patience=1)
    (tmp_path / "db").rename(tmp_path / "away")
    ran: list[str] = []

    async def on_new_message(message: Any) -> None:
        ran.append(message.text)

    handler = _webhook_handler(ConciergeRestInput(secret=SECRET), on_new_message)
    request = _in_app(_request({"sender": "web-1", "message": "hi"}), FailSafeTrackerStore(store))

    answer = asyncio.run(handler(request))

    assert answer.status == 503  # the console shows its apology; Rasa never ran the turn
    assert ran == []


def test_a_turn_rasa_kept_only_in_memory_is_answered_with_the_apology(tmp_path: Path) -> None:
    store = _store(tmp_path / "db", patience=1)
    fail_safe = FailSafeTrackerStore(store)

    async def on_new_message(message: Any) -> None:
        # Rasa answered, then could not save: FailSafeTrackerStore kept the turn in memory.
        await message.output_channel.send_text_message(message.sender_id, "It has shipped.")
        await fail_safe.fallback_tracker_store.save(_tracker(message.sender_id, message.text))

    handler = _webhook_handler(ConciergeRestInput(secret=SECRET), on_new_message)
    request = _in_app(_request({"sender": "web-1", "message": "where is it?"}), fail_safe)

    answer = asyncio.run(handler(request))

    assert answer.status == 200
    assert [m["text"] for m in json.loads(answer.body)] == [NO_REPLY_APOLOGY]
    assert "web-1" not in fail_safe.fallback_tracker_store.store  # not kept to diverge later
