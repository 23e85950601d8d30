"""The conversations list: chat sessions filtered by the store's and the tracker's facts.

Facts kept in the shop database (dates, channel, customer, outcomes, rating, review
state, tags) become SQL conditions on ``chat_sessions``; facts only Rasa's tracker store
knows (intent, fallback, low confidence, words in the messages) become a set of sender
ids from :class:`TrackerReader`, intersected here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, or_, select

from console.models import REVIEW_STATES, ConversationReview, ConversationTag
from console.staff.tracker_reader import TrackerReader
from store.db import UnitOfWork
from store.models import ChatSession, Customer, Handoff, SessionOutcome
from store.views import Outcome

PER_PAGE = 25
LOW_CONFIDENCE_BELOW = 0.5
MAX_PAGE = 10_000
FLAGS = ("low_confidence", "fallback", "handoff", "offer_shown", "offer_accepted")

# A session with its customer's first name, last name and e-mail and its review state.
# The last two are None at run time when the outer joins find nothing; ``_row`` takes that.
_Listed = Select[ChatSession, str | None, str | None, str, str]


class FilterError(ValueError):
    """A filter value that cannot be understood; says which and why."""


@dataclass(frozen=True)
class ConversationFilters:
    """What the list is narrowed to; empty fields do not filter."""

    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""
    customer: str = ""
    intent: str = ""
    text: str = ""
    tag: str = ""
    review_state: str = ""
    rating: int | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    page: int = 0

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> ConversationFilters:
        """Read filters from a query string; raises FilterError naming a bad field."""
        state = query.get("review_state", "").strip()
        if state and state not in REVIEW_STATES:
            raise FilterError(f"review state must be one of {', '.join(REVIEW_STATES)}")
        return cls(
            date_from=_date(query, "date_from"),
            date_to=_date(query, "date_to"),
            channel=query.get("channel", "").strip()[:32],
            customer=query.get("customer", "").strip()[:255],
            intent=query.get("intent", "").strip()[:255],
            text=query.get("q", "").strip()[:200],
            tag=query.get("tag", "").strip().lower()[:40],
            review_state=state,
            rating=_rating(query.get("rating", "")),
            flags=frozenset(f for f in FLAGS if query.get(f) in ("1", "on", "true")),
            page=_page(query.get("page", "")),
        )

    def at_page(self, page: int) -> ConversationFilters:
        """The same filters on another page."""
        return replace(self, page=page)


@dataclass(frozen=True)
class ConversationRow:
    """One line of the conversations list."""

    session_id: int
    sender_id: str
    channel: str
    started_at: datetime
    turns: int
    intents: tuple[str, ...]
    customer_id: int | None
    customer_name: str | None
    customer_email: str | None
    rating: int | None
    review_state: str


@dataclass(frozen=True)
class ConversationPage:
    """One page of the list."""

    rows: list[ConversationRow]
    page: int
    has_next: bool


class ConversationList(UnitOfWork):
    """Lists chat sessions, newest first, with the store's and the tracker's filters."""

    def __init__(self, session_factory: object, tracker: TrackerReader) -> None:
        super().__init__(session_factory)  # type: ignore[arg-type]
        self._tracker = tracker

    def page(self, filters: ConversationFilters, per_page: int = PER_PAGE) -> ConversationPage:
        """The page of conversations that ``filters`` asks for."""
        query = self._store_query(filters)
        senders = self._tracker_senders(filters)
        if senders is not None:
            if not senders:
                return ConversationPage([], filters.page, False)
            query = query.where(ChatSession.sender_id.in_(sorted(senders)))
        query = query.order_by(ChatSession.started_at.desc(), ChatSession.id.desc())
        query = query.limit(per_page + 1).offset(filters.page * per_page)
        with self._read() as s:
            rows = [_row(*r) for r in s.execute(query).all()]
        return ConversationPage(rows[:per_page], filters.page, len(rows) > per_page)

    def _store_query(self, f: ConversationFilters) -> _Listed:
        query = (
            select(
                ChatSession,
                Customer.first_name,
                Customer.last_name,
                Customer.email,
                ConversationReview.state,
            )
            .outerjoin(Customer, Customer.id == ChatSession.customer_id)
            .outerjoin(ConversationReview, ConversationReview.session_id == ChatSession.id)
        )
        if f.date_from:
            query = query.where(ChatSession.started_at >= datetime.combine(f.date_from, time()))
        if f.date_to:
            end = datetime.combine(f.date_to + timedelta(days=1), time())
            query = query.where(ChatSession.started_at < end)
        if f.channel:
            query = query.where(ChatSession.channel == f.channel)
        if f.customer:
            query = query.where(_customer_matches(f.customer))
        if f.rating is not None:
            query = query.where(ChatSession.rating == f.rating)
        if f.review_state == "new":
            query = query.where(
                or_(ConversationReview.state.is_(None), ConversationReview.state == "new")
            )
        elif f.review_state:
            query = query.where(ConversationReview.state == f.review_state)
        if f.tag:
            query = query.where(
                exists().where(
                    ConversationTag.session_id == ChatSession.id, ConversationTag.tag == f.tag
                )
            )
        if "handoff" in f.flags:
            query = query.where(
                or_(
                    _has_outcome(Outcome.HANDOFF_REQUESTED),
                    exists().where(Handoff.session_id == ChatSession.id),
                )
            )
        for flag, kind in (
            ("offer_shown", Outcome.OFFER_SHOWN),
            ("offer_accepted", Outcome.OFFER_ACCEPTED),
        ):
            if flag in f.flags:
                query = query.where(_has_outcome(kind))
        return query

    def _tracker_senders(self, f: ConversationFilters) -> set[str] | None:
        wants_tracker = f.intent or f.text or {"fallback", "low_confidence"} & f.flags
        if not wants_tracker:
            return None
        # Each condition is asked separately: "intent X" and "a fallback" may be
        # different turns of the same conversation.
        since = _epoch(datetime.combine(f.date_from, time())) if f.date_from else None
        until = (
            _epoch(datetime.combine(f.date_to + timedelta(days=2), time())) if f.date_to else None
        )
        found: set[str] | None = None
        asks: list[dict[str, object]] = []
        if f.intent:
            asks.append({"intent": f.intent})
        if f.text:
            asks.append({"text": f.text})
        if "fallback" in f.flags:
            asks.append({"fallback": True})
        if "low_confidence" in f.flags:
            asks.append({"low_confidence_below": LOW_CONFIDENCE_BELOW})
        for ask in asks:
            senders = self._tracker.senders_where(since=since, until=until, **ask)  # type: ignore[arg-type]
            found = senders if found is None else found & senders
            if not found:
                return set()
        return found


def _has_outcome(kind: str) -> Exists:
    return exists().where(
        and_(SessionOutcome.session_id == ChatSession.id, SessionOutcome.kind == kind)
    )


def _customer_matches(text: str) -> ColumnElement[bool]:
    if text.isdigit():
        return ChatSession.customer_id == int(text)
    pattern = f"%{text.replace('%', '').replace('_', '')}%"
    return or_(
        Customer.email.ilike(pattern),
        Customer.first_name.ilike(pattern),
        Customer.last_name.ilike(pattern),
    )


def _row(
    session: ChatSession, first: str | None, last: str | None, email: str | None, state: str | None
) -> ConversationRow:
    return ConversationRow(
        session_id=session.id,
        sender_id=session.sender_id,
        channel=session.channel,
        started_at=session.started_at,
        turns=session.turns or 0,
        intents=tuple(session.intents or ()),
        customer_id=session.customer_id,
        customer_name=" ".join(p for p in (first, last) if p) or None,
        customer_email=email,
        rating=session.rating,
        review_state=state or "new",
    )


def _epoch(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()


def _date(query: Mapping[str, str], name: str) -> date | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        label = name.replace("_", " ")
        raise FilterError(f"{label} must be a date like 2024-11-24, not {raw[:40]!r}") from exc


def _rating(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        raise FilterError(f"rating must be a whole number from 1 to 5, not {raw[:20]!r}")
    return int(raw)


def _page(raw: str) -> int:
    try:
        return max(0, min(int(raw or 0), MAX_PAGE))
    except ValueError:
        return 0
