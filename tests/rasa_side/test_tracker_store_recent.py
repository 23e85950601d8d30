"""The tracker store hands a turn the conversation it saved last instead of rebuilding it from
the database, and only while the database still holds exactly what it saved (issue 15)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.tracker_store import DurableSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, order_status]
slots:
  order_number:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
actions: [action_order_status]
"""
)


def _store(db: Path, size: int = 10) -> DurableSQLTrackerStore:
    return DurableSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db), cached_conversations=size)


def _plain_read(db: Path, sender: str) -> DialogueStateTracker | None:
    """What Rasa's own SQLTrackerStore reads from the same file."""
    return asyncio.run(SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db)).retrieve(sender))


def _turn(number: int) -> list[Event]:
    return [
        UserUttered(
            f"where is order {number}",
            {"name": "order_status", "confidence": 0.98},
            parse_data={"text_tokens": [(0, 5), (6, 8)], "intent_ranking": []},
        ),
        ActionExecuted("action_order_status"),
        SlotSet("order_number", str(number)),
        BotUttered(f"Order {number} is on its way."),
        ActionExecuted("action_listen"),
    ]


def _as_json(tracker: DialogueStateTracker | None) -> str:
    assert tracker is not None
    return json.dumps(tracker.current_state(EventVerbosity.ALL), sort_keys=True)


def _chat(store: DurableSQLTrackerStore, sender: str, turns: int) -> DialogueStateTracker:
    """A conversation saved turn by turn, read back before each turn as Rasa does."""
    tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(sender, DOMAIN.slots)
    if not tracker.events:
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
    for number in range(turns):
        for event in _turn(number):
            tracker.update(event)
        asyncio.run(store.save(tracker))
        tracker = asyncio.run(store.retrieve(sender))
        assert tracker is not None
    return tracker


def test_the_next_turn_gets_the_saved_conversation_as_the_database_has_it(tmp_path) -> None:
    store = _store(tmp_path / "tracker.db")
    tracker = _chat(store, "web-1", turns=3)
    asyncio.run(store.save(tracker))

    handed = asyncio.run(store.retrieve("web-1"))

    assert handed is tracker  # no rebuild from the database
    assert _as_json(handed) == _as_json(_plain_read(tmp_path / "tracker.db", "web-1"))
    assert handed.get_slot("order_number") == "2"


def test_a_turn_another_server_saved_is_read_from_the_database(tmp_path) -> None:
    db = tmp_path / "tracker.db"
    mine, other = _store(db), _store(db)
    asyncio.run(mine.save(_chat(mine, "web-1", turns=2)))
    elsewhere = asyncio.run(other.retrieve("web-1"))
    for event in _turn(7):
        elsewhere.update(event)
    asyncio.run(other.save(elsewhere))

    handed = asyncio.run(mine.retrieve("web-1"))

    assert handed.get_slot("order_number") == "7"
    assert _as_json(handed) == _as_json(_plain_read(db, "web-1"))


def test_an_erased_conversation_is_not_handed_out_again(tmp_path) -> None:
    db = tmp_path / "tracker.db"
    store = _store(db)
    asyncio.run(store.save(_chat(store, "web-1", turns=2)))
    with sqlite3.connect(db) as connection:  # what store/erasure.py does
        connection.execute("DELETE FROM events WHERE sender_id = 'web-1'")

    assert asyncio.run(store.retrieve("web-1")) is None


def test_a_turn_that_failed_before_its_save_leaves_nothing_behind(tmp_path) -> None:
    db = tmp_path / "tracker.db"
    store = _store(db)
    asyncio.run(store.save(_chat(store, "web-1", turns=2)))
    broken = asyncio.run(store.retrieve("web-1"))
    broken.update(UserUttered("this turn never reaches the database"))

    again = asyncio.run(store.retrieve("web-1"))

    assert again is not broken
    assert "never reaches" not in _as_json(again)
    assert _as_json(again) == _as_json(_plain_read(db, "web-1"))


def test_the_first_turn_of_a_session_is_read_back_from_the_database(tmp_path) -> None:
    db = tmp_path / "tracker.db"
    store = _store(db)
    tracker = DialogueStateTracker("web-1", DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))  # Rasa stores it before the start
    tracker.update(SessionStarted(timestamp=tracker.events[-1].timestamp + 1))
    tracker.update(ActionExecuted("action_listen", timestamp=tracker.events[-1].timestamp + 1))
    asyncio.run(store.save(tracker))

    handed = asyncio.run(store.retrieve("web-1"))

    assert handed is not tracker
    assert _as_json(handed) == _as_json(_plain_read(db, "web-1"))
    assert handed.events[0] == SessionStarted(timestamp=handed.events[0].timestamp)


def test_only_the_most_recently_saved_conversations_are_kept(tmp_path) -> None:
    store = _store(tmp_path / "tracker.db", size=2)
    for sender in ("a", "b", "c"):
        asyncio.run(store.save(_chat(store, sender, turns=1)))

    assert len(store.recent) == 2
    assert asyncio.run(store.retrieve("a")) is not None  # read from the database instead


def test_keeping_none_reads_every_turn_from_the_database(tmp_path) -> None:
    store = _store(tmp_path / "tracker.db", size=0)
    tracker = _chat(store, "web-1", turns=2)
    asyncio.run(store.save(tracker))

    assert asyncio.run(store.retrieve("web-1")) is not tracker
    assert len(store.recent) == 0


def test_the_kept_events_stay_within_their_budget(tmp_path) -> None:
    store = DurableSQLTrackerStore(
        DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), cached_events=25
    )
    for sender in ("a", "b", "c"):  # 12 events each
        asyncio.run(store.save(_chat(store, sender, turns=2)))

    assert store.recent.events <= 25
    assert len(store.recent) == 2
    kept = asyncio.run(store.retrieve("c"))
    assert store.recent.events <= 13  # "c" is handed out, only "b" is still kept
    asyncio.run(store.save(kept))
    assert len(store.recent) == 2


def _counted(monkeypatch) -> list[str]:
    """Rasa's count of the stored events, each time it runs."""
    counts: list[str] = []
    rasas = SQLTrackerStore._additional_events

    def counting(self, session, tracker):  # type: ignore[no-untyped-def]
        counts.append(tracker.sender_id)
        return rasas(self, session, tracker)

    monkeypatch.setattr(SQLTrackerStore, "_additional_events", counting)
    return counts


def test_saving_a_handed_out_tracker_needs_no_count_and_stores_each_event_once(
    tmp_path, monkeypatch
) -> None:
    db = tmp_path / "tracker.db"
    store = _store(db)
    counts = _counted(monkeypatch)
    tracker = _chat(store, "web-1", turns=4)  # every save after the first: handed out

    assert counts == ["web-1"]  # only the first save, of a tracker nobody handed out
    assert _as_json(tracker) == _as_json(_plain_read(db, "web-1"))
    with sqlite3.connect(db) as connection:
        (rows,) = connection.execute("SELECT COUNT(*) FROM events").fetchone()
    assert rows == len(tracker.events)


def test_a_tracker_read_from_the_database_is_counted_as_rasa_does(tmp_path, monkeypatch) -> None:
    db = tmp_path / "tracker.db"
    mine, other = _store(db), _store(db)
    asyncio.run(mine.save(_chat(mine, "web-1", turns=1)))
    counts = _counted(monkeypatch)
    elsewhere = asyncio.run(other.retrieve("web-1"))  # not kept by `other`: read
    for event in _turn(5):
        elsewhere.update(event)
    asyncio.run(other.save(elsewhere))
    handed = asyncio.run(mine.retrieve("web-1"))  # the other server wrote: read again
    for event in _turn(6):
        handed.update(event)
    asyncio.run(mine.save(handed))

    assert counts == ["web-1", "web-1"]
    assert _as_json(handed) == _as_json(_plain_read(db, "web-1"))


def test_a_save_retried_after_a_failure_counts_again(tmp_path, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    db = tmp_path / "tracker.db"
    store = _store(db)
    tracker = _chat(store, "web-1", turns=1)
    for event in _turn(9):
        tracker.update(event)
    counts = _counted(monkeypatch)
    rasas_save = SQLTrackerStore.save
    attempts: list[int] = []

    async def written_then_lost(self, tracker):  # type: ignore[no-untyped-def]
        attempts.append(1)
        await rasas_save(self, tracker)
        if len(attempts) == 1:  # the rows are in, but the answer never came back
            raise OperationalError("commit", {}, Exception("connection lost"))

    monkeypatch.setattr(SQLTrackerStore, "save", written_then_lost)
    monkeypatch.setattr("bot.tracker_store.RETRY_PAUSE_SECONDS", 0.01)
    asyncio.run(store.save(tracker))

    assert len(attempts) == 2 and counts == ["web-1"]  # the retry asked the database
    assert _as_json(tracker) == _as_json(_plain_read(db, "web-1"))  # nothing twice


def test_a_conversation_handed_out_then_written_elsewhere_is_counted_again(
    tmp_path, monkeypatch
) -> None:
    db = tmp_path / "tracker.db"
    mine, other = _store(db), _store(db)
    _chat(mine, "web-1", turns=1)  # handed out (as for GET /conversations/…/tracker), not saved
    elsewhere = asyncio.run(other.retrieve("web-1"))
    for event in _turn(5):
        elsewhere.update(event)
    asyncio.run(other.save(elsewhere))  # another server's turn
    counts = _counted(monkeypatch)
    turn = asyncio.run(mine.retrieve("web-1"))  # read from the database: more rows now
    for event in _turn(6):
        turn.update(event)
    asyncio.run(mine.save(turn))

    assert counts == ["web-1"]
    assert _as_json(turn) == _as_json(_plain_read(db, "web-1"))


def test_a_tracker_handed_out_and_never_saved_is_not_held(tmp_path) -> None:
    import gc
    import weakref

    store = _store(tmp_path / "tracker.db")
    handed = _chat(store, "web-1", turns=1)  # handed out; its turn fails before the save
    gone = weakref.ref(handed)
    del handed
    gc.collect()

    assert gone() is None
    assert asyncio.run(store.retrieve("web-1")) is not None  # read from the database
