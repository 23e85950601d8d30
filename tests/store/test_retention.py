"""retention: old guest conversations and old trackers go; recent ones and customers' stay."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from console.models import HandoffMessage, NluCorrection
from store.__main__ import main
from store.link_codes import LinkAttempt, LinkCode
from store.models import ChatSession, Handoff, SessionOutcome
from store.retention import apply_retention
from store.tracker_store import TrackerStore
from tests.factories import add_customer, migrated_store
from tests.store.privacy_scene import add_tracker_events, epoch, tracker_url

NOW = datetime(2024, 6, 1, 12, 0)


def chat(
    sessions: sessionmaker[Session], url: str, sender: str, days_ago: int, customer: int | None
) -> int:
    """A session ``days_ago`` old with an outcome, a handoff message and its tracker events."""
    at = NOW - timedelta(days=days_ago)
    with sessions() as s, s.begin():
        row = ChatSession(
            sender_id=sender,
            customer_id=customer,
            channel="web",
            started_at=at,
            last_activity_at=at + timedelta(minutes=5),
            turns=2,
            intents=["greet"],
        )
        s.add(row)
        s.flush()
        s.add(SessionOutcome(session_id=row.id, kind="faq_answered", at=at))
        handoff = Handoff(session_id=row.id, sender_id=sender, status="closed", created_at=at)
        s.add(handoff)
        s.flush()
        s.add(HandoffMessage(handoff_id=handoff.id, author="customer", text="hello?", at=at))
        session_id = row.id
    ts = epoch(at)
    add_tracker_events(
        url,
        sender,
        [
            # Rasa stores the session start a moment before the action records it.
            ("session_started", {}, ts - 1),
            ("action", {"name": "action_session_start"}, ts),
            (
                "user",
                {"text": f"hi from {sender}", "parse_data": {"intent": {"name": "greet"}}},
                ts + 1,
            ),
        ],
    )
    return session_id


@pytest.fixture
def stores(tmp_path: Path) -> tuple[sessionmaker[Session], str]:
    return migrated_store(tmp_path), tracker_url(tmp_path)


def run(stores: tuple[sessionmaker[Session], str], guest_days: int = 30, days: int = 365):
    tracker = TrackerStore(stores[1])
    try:
        return apply_retention(
            stores[0], tracker, guest_days=guest_days, days=days, clock=lambda: NOW
        )
    finally:
        tracker.close()


def senders_in_tracker(url: str) -> dict[str, int]:
    engine = TrackerStore(url)._open()
    assert engine is not None
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, count(*) FROM events GROUP BY sender_id"))
        found = {sender: n for sender, n in rows}
    engine.dispose()
    return found


def session_senders(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as s:
        return set(s.scalars(select(ChatSession.sender_id)))


def test_old_guest_conversations_go_with_their_tracker_and_recent_ones_stay(stores) -> None:
    sessions, url = stores
    chat(sessions, url, "guest-old", 45, None)
    chat(sessions, url, "guest-new", 3, None)

    report = run(stores)

    assert session_senders(sessions) == {"guest-new"}
    assert senders_in_tracker(url) == {"guest-new": 3}
    assert report.rows["chat_sessions"] == 1 and report.tracker_events == 3
    with sessions() as s:
        assert len(s.scalars(select(SessionOutcome)).all()) == 1
        assert len(s.scalars(select(Handoff)).all()) == 1
        assert len(s.scalars(select(HandoffMessage)).all()) == 1


def test_customer_conversations_are_kept_until_the_tracker_limit(stores) -> None:
    sessions, url = stores
    anna = add_customer(sessions, email="anna@example.com")
    chat(sessions, url, "web-anna", 45, anna)

    run(stores, guest_days=30, days=365)
    assert session_senders(sessions) == {"web-anna"}
    assert senders_in_tracker(url) == {"web-anna": 3}

    run(stores, guest_days=30, days=40)
    # Her session record (business outcomes) stays; the transcript and its copies go.
    assert session_senders(sessions) == {"web-anna"}
    assert senders_in_tracker(url) == {}
    with sessions() as s:
        assert s.scalars(select(HandoffMessage)).all() == []


def test_a_guest_who_came_back_keeps_the_tracker_of_the_newer_session(stores) -> None:
    sessions, url = stores
    chat(sessions, url, "guest-twice", 60, None)
    chat(sessions, url, "guest-twice", 2, None)

    run(stores)

    assert senders_in_tracker(url) == {"guest-twice": 3}
    with sessions() as s:
        [kept] = s.scalars(select(ChatSession)).all()
    assert kept.started_at == NOW - timedelta(days=2)


def test_nlu_corrections_of_old_guest_chats_and_old_messages_go(stores) -> None:
    sessions, url = stores
    chat(sessions, url, "guest-old", 45, None)
    with sessions() as s, s.begin():
        for n, (sender, days_ago) in enumerate((("guest-old", 45), ("web-x", 400), ("web-y", 5))):
            at = NOW - timedelta(days=days_ago)
            s.add(
                NluCorrection(
                    tracker_event_id=1000 + n, sender_id=sender, text="words", intent="greet",
                    message_at=at, corrected_by="agent@shop.test", corrected_at=at,
                )
            )  # fmt: skip
    run(stores)
    with sessions() as s:
        assert set(s.scalars(select(NluCorrection.sender_id))) == {"web-y"}


def test_expired_link_codes_and_old_link_attempts_go(stores) -> None:
    sessions, _ = stores
    anna = add_customer(sessions)
    with sessions() as s, s.begin():
        for n, days_ago in enumerate((400, 5)):
            at = NOW - timedelta(days=days_ago)
            s.add(LinkCode(code_sha256=f"{n:064d}", customer_id=anna, channel="telegram",
                           created_at=at, expires_at=at + timedelta(minutes=15)))  # fmt: skip
            # An e-mailed-code request keeps the address only as its hash, as a user id.
            s.add(
                LinkAttempt(channel="email:telegram", channel_user_id=f"{n:064x}", at=at, ok=True)
            )
    report = run(stores)
    with sessions() as s:
        assert [c.code_sha256 for c in s.scalars(select(LinkCode))] == [f"{1:064d}"]
        assert [a.channel_user_id for a in s.scalars(select(LinkAttempt))] == [f"{1:064x}"]
    assert (report.rows["link_codes"], report.rows["link_attempts"]) == (1, 1)


def test_retention_without_a_tracker_store_yet_only_cleans_the_shop(tmp_path: Path) -> None:
    sessions = migrated_store(tmp_path)
    missing = f"sqlite:///{tmp_path / 'no-tracker.db'}"
    chat_at = NOW - timedelta(days=90)
    with sessions() as s, s.begin():
        s.add(
            ChatSession(
                sender_id="g", channel="web", started_at=chat_at, last_activity_at=chat_at,
                turns=1, intents=[],
            )
        )  # fmt: skip
    tracker = TrackerStore(missing)
    report = apply_retention(sessions, tracker, guest_days=30, days=365, clock=lambda: NOW)
    assert report.rows == {"chat_sessions": 1} and report.tracker_events == 0
    assert not (tmp_path / "no-tracker.db").exists()


def test_command_line_reports_and_rejects_nonsense_periods(
    stores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path / "var"))
    sessions, url = stores
    args = ["--db-url", str(sessions.kw["bind"].url), "retention", "--tracker-db-url", url]
    assert main([*args, "--guest-days", "30", "--days", "365"]) == 0
    assert "Retention" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main([*args, "--guest-days", "0", "--days", "365"])
    assert exited.value.code == 2
    assert "at least 1" in capsys.readouterr().err
