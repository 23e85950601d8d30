"""Retention: old guest conversations and old trackers are deleted on a schedule.

``python -m store retention --guest-days N --days M`` (the README shows a cron line and
a systemd timer; ``make demo`` never runs it):

- a guest conversation (a chat session with no customer) whose last activity is more
  than N days old is deleted with everything hanging off it (outcomes, reviews, tags,
  notes, handoffs and their live messages, NLU corrections of its sender) and its events
  in the tracker store, up to the start of that sender's oldest kept session;
- any tracker whose newest event is more than M days old is deleted whole, and so are
  live handoff messages and NLU corrections older than M days (copies of chat text), and
  account-linking records past their use: link codes that expired, and the attempts
  (failed codes, e-mailed-code requests with an address's hash) made, more than M days
  ago (their limits look back an hour).

Customers' session rows (their business outcomes) are kept: they hold no message text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from console.models import (
    ConversationNote,
    ConversationReview,
    ConversationTag,
    HandoffMessage,
    NluCorrection,
)
from promotions.models import PromoCoupon, PromoExposure
from store.db import Clock, utcnow, writing
from store.link_codes import LinkAttempt, LinkCode
from store.models import ChatSession, Handoff, SessionOutcome
from store.tracker_store import TrackerStore

# Rasa stores a session's first events (session_started, action_session_start) a moment
# before the action records the session's start in the store; the cut stays this far
# before it. Sessions of one sender are at least the session expiry (an hour) apart.
SESSION_START_MARGIN = timedelta(minutes=5)


@dataclass
class RetentionReport:
    """How many rows and tracker events one run deleted."""

    rows: dict[str, int] = field(default_factory=dict)
    tracker_events: int = 0
    trackers: int = 0

    def count(self, what: str, n: int) -> None:
        if n:
            self.rows[what] = self.rows.get(what, 0) + n


def apply_retention(
    sessions: sessionmaker[Session],
    tracker: TrackerStore,
    *,
    guest_days: int,
    days: int,
    clock: Clock = utcnow,
) -> RetentionReport:
    """Delete guest conversations older than ``guest_days`` and anything older than ``days``."""
    if guest_days < 1 or days < 1:
        raise ValueError("retention periods are whole numbers of days, at least 1")
    now = clock()
    report = RetentionReport()
    guest_cutoff = now - timedelta(days=guest_days)
    cutoff = now - timedelta(days=days)

    with writing(sessions) as s:
        cuts = _delete_old_guest_sessions(s, guest_cutoff, report)
        report.count(
            "handoff_messages", _run(s, delete(HandoffMessage).where(HandoffMessage.at < cutoff))
        )
        report.count(
            "nlu_corrections",
            _run(s, delete(NluCorrection).where(NluCorrection.message_at < cutoff)),
        )
        report.count("link_codes", _run(s, delete(LinkCode).where(LinkCode.expires_at < cutoff)))
        report.count("link_attempts", _run(s, delete(LinkAttempt).where(LinkAttempt.at < cutoff)))
    # The store first: a conversation the store no longer lists is never shown half-deleted.
    report.tracker_events += tracker.prune_guests(cuts)
    report.trackers, events = tracker.delete_idle_since(_epoch(cutoff))
    report.tracker_events += events
    return report


def _delete_old_guest_sessions(
    s: Session, cutoff: datetime, report: RetentionReport
) -> dict[str, float | None]:
    """Delete old guest sessions; returns, per sender, where its tracker must be cut."""
    old = s.execute(
        select(ChatSession.id, ChatSession.sender_id).where(
            ChatSession.customer_id.is_(None), ChatSession.last_activity_at < cutoff
        )
    ).all()
    if not old:
        return {}
    session_ids = {row.id for row in old}
    senders = {row.sender_id for row in old}
    # A sender with a newer session keeps its tracker from that session's start on.
    kept_from = dict(
        s.execute(
            select(ChatSession.sender_id, func.min(ChatSession.started_at))
            .where(ChatSession.sender_id.in_(senders), ChatSession.id.not_in(session_ids))
            .group_by(ChatSession.sender_id)
        ).all()
    )
    handoff_ids = select(Handoff.id).where(Handoff.session_id.in_(session_ids))
    whole = [sender for sender in senders if sender not in kept_from]
    deletions = [
        ("handoff_messages", delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(handoff_ids))),
        ("handoffs", delete(Handoff).where(Handoff.session_id.in_(session_ids))),
        ("conversation_reviews", delete(ConversationReview).where(ConversationReview.session_id.in_(session_ids))),
        ("conversation_tags", delete(ConversationTag).where(ConversationTag.session_id.in_(session_ids))),
        ("conversation_notes", delete(ConversationNote).where(ConversationNote.session_id.in_(session_ids))),
        ("session_outcomes", delete(SessionOutcome).where(SessionOutcome.session_id.in_(session_ids))),
        ("nlu_corrections", delete(NluCorrection).where(NluCorrection.sender_id.in_(whole))),
    ]  # fmt: skip
    for table, statement in deletions:
        report.count(table, _run(s, statement))
    # Guests get no offers, but a foreign key must never point at a deleted session.
    for model in (PromoExposure, PromoCoupon):
        s.execute(
            model.__table__.update()
            .where(model.__table__.c.chat_session_id.in_(session_ids))
            .values(chat_session_id=None)
        )
    report.count(
        "chat_sessions", _run(s, delete(ChatSession).where(ChatSession.id.in_(session_ids)))
    )
    return {
        sender: _epoch(kept_from[sender] - SESSION_START_MARGIN) if sender in kept_from else None
        for sender in senders
    }


def _epoch(moment: datetime) -> float:
    """Epoch seconds of a naive UTC time (how the store keeps times; Rasa uses epochs)."""
    return (moment - datetime(1970, 1, 1)).total_seconds()


def _run(s: Session, statement: Executable) -> int:
    return cast(CursorResult[Any], s.execute(statement)).rowcount
